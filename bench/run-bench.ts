/**
 * `npm run bench [-- --suite speed,overhead,scale]`: the harness's own speed and scale on this machine, one JSON file
 * per suite under results/bench/. `speed` (the default) is the single-machine bench; `scale` holds the largest fleet
 * (many minutes, the whole machine), so it runs only when named.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runOverheadSuite } from './overhead-suite.js';
import { runScaleSuite } from './scale-suite.js';
import { runSpeedSuite } from './speed-suite.js';

const SUITES = ['speed', 'overhead', 'scale'] as const;
type Suite = (typeof SUITES)[number];

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'speed' },
    devices: { type: 'string', default: '15000' },
    hold: { type: 'string', default: '60' },
    'baseline-devices': { type: 'string', default: '3000' },
    'replay-devices': { type: 'string', default: '10000' },
    'replay-days': { type: 'string', default: '2' },
    // The same scenario through runScenario against each broker target (embedded, mosquitto).
    'targets-scenario': { type: 'string', default: 'daa-24h' },
    'targets-devices': { type: 'string', default: '300' },
    'targets-days': { type: 'string', default: '3' },
    'targets-seed': { type: 'string', default: '24' },
    concurrency: { type: 'string', default: '64' },
    // The scale suite: devices held at once, and over how many broker instances and device hosts (default: the
    // fewest whose open-files limit holds the fleet): --agents agents (the default), or --device-hosts device processes.
    'scale-devices': { type: 'string', default: '100000' },
    'scale-hold': { type: 'string', default: '60' },
    'broker-instances': { type: 'string' },
    'device-hosts': { type: 'string' },
    agents: { type: 'string' },
    // The overhead suite: the same fleet over each number of device hosts and broker instances.
    'overhead-devices': { type: 'string', default: '1000' },
    'overhead-hosts': { type: 'string', default: '1,2,4' },
    'overhead-instances': { type: 'string', default: '1,2,4' },
    'overhead-hosts-are': { type: 'string', default: 'agents' },
    'empty-epochs': { type: 'string', default: '30' },
    out: { type: 'string', default: join('results', 'bench') },
  },
});
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const suites = values.suite.split(',').map((s) => s.trim());
const unknown = suites.filter((s) => !(SUITES as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`bench: --suite: unknown suite ${unknown.join(', ')}; expected a comma-separated list of ${SUITES.join(', ')}`);
  process.exit(2);
}
for (const suite of suites as Suite[]) {
  log(`suite ${suite}`);
  if (suite === 'speed') await runSpeedSuite(values, log);
  else if (suite === 'overhead') await runOverheadSuite(values, log);
  else await runScaleSuite(values, log);
}
