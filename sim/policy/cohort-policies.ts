import type { ScenarioCohort } from '../scenario/schema.js';
import { backoff, type Backoff } from './backoff.js';
import { DEFAULT_CALL_BUDGET_MS, loadPolicyModule, userRenewalPolicy } from './policy-module.js';
import { fractionOfLifetime, renewalWindow, type RenewalPolicy } from './renewal-policy.js';

/** What a cohort's scenario entry says about renewing and reconnecting, ready for its devices. */
export interface CohortPolicies {
  renewal: (deviceId: string) => RenewalPolicy;
  reconnect: Backoff;
}

/** Builds each cohort's policies; loads (and compiles) the teams' own policy modules once. */
export async function cohortPolicies(cohorts: readonly ScenarioCohort[]): Promise<CohortPolicies[]> {
  return Promise.all(
    cohorts.map(async (cohort, cohortIndex) => {
      const { renewal } = cohort;
      let forDevice: (deviceId: string) => RenewalPolicy;
      if (renewal.module !== undefined) {
        const source = { file: renewal.module, cohortIndex, cohort: cohort.name };
        const factory = await loadPolicyModule(source);
        forDevice = userRenewalPolicy(factory, {
          source,
          options: renewal.options ?? {},
          budgetMs: renewal.budget ?? DEFAULT_CALL_BUDGET_MS,
          retry: renewal.retry,
        });
      } else {
        const shared = renewal.window
          ? renewalWindow({ from: renewal.window.from, to: renewal.window.to, retry: renewal.retry })
          : fractionOfLifetime({ at: renewal.at, jitter: renewal.jitter, retry: renewal.retry });
        forDevice = () => shared;
      }
      return { renewal: forDevice, reconnect: backoff(cohort.connectivity.retry) };
    }),
  );
}
