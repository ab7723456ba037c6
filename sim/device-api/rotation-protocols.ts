import type { DeliveryMessage } from './messages.js';

/** The deliveries that start a rotation: the first message of a protocol the backend starts. */
export type RotationDeliveryKind = Exclude<DeliveryMessage['kind'], 'trust-bundle'>;

/**
 * What the whole program knows of a rotation protocol besides its two halves (the device's in
 * workers/rotation/protocol-registry.ts, the backend's in broker/rotation-backends.ts): its name, what it is, and
 * the traits the scenario checks, the plan and the device read. Pure data, so the scenario schema can list it.
 */
export interface RotationProtocolDescriptor {
  /** One sentence for the scenario schema (and so editors) and the docs. */
  readonly description: string;
  /**
   * `device`: the device renews on its renewal policy. Otherwise the backend starts a rotation the cohort's `before`
   * ahead of expiry (its own clock) by sending the device a delivery of this kind.
   */
  readonly startedBy: 'device' | { readonly backendDelivery: RotationDeliveryKind };
  /** Whether it runs without an operational session, bringing its own (on the bootstrap identity). */
  readonly worksOffline: boolean;
  /** Whether its devices need `pki.bootstrapCertificates` and `broker.bootstrapAuthorities`. */
  readonly needsBootstrapIdentity: boolean;
  /**
   * Whether the broker must refuse a certificate the backend has issued but not activated, or has deactivated
   * (AWS IoT's PENDING_ACTIVATION and INACTIVE: `certificate_inactive`), which only a broker that shares the backend's
   * registry can do.
   */
  readonly needsCertificateStatus: boolean;
}

/**
 * Every rotation protocol, by the name a scenario gives it (`fleet.cohorts[].rotation.protocol`). The one registry:
 * the device halves and the backend halves are `Record`s over these names, so a protocol added here without both
 * halves does not compile. docs/architecture.md, "Adding a rotation protocol".
 */
export const ROTATION_PROTOCOLS = {
  csr: {
    description: 'CSR over MQTT on the operational session; the CA answers on the device topic.',
    startedBy: 'device',
    worksOffline: false,
    needsBootstrapIdentity: false,
    needsCertificateStatus: false,
  },
  'fleet-provisioning': {
    description:
      'AWS-style create-from-csr, then RegisterThing with the ownership token (1 hour) before the certificate is active.',
    startedBy: 'device',
    worksOffline: false,
    needsBootstrapIdentity: false,
    needsCertificateStatus: true,
  },
  attestation: {
    description: 'CSR over a session on the bootstrap identity (Azure Sphere daily attestation); works after the certificate lapsed.',
    startedBy: 'device',
    worksOffline: true,
    needsBootstrapIdentity: true,
    needsCertificateStatus: false,
  },
  job: {
    description: 'the backend starts a CSR rotation as an AWS IoT Jobs job `before` expiry; the device renews, reconnects and reports it SUCCEEDED.',
    startedBy: { backendDelivery: 'job' },
    worksOffline: false,
    needsBootstrapIdentity: false,
    needsCertificateStatus: true,
  },
  push: {
    description: 'the backend sends certificate and key `before` expiry; the device installs them.',
    startedBy: { backendDelivery: 'certificate' },
    worksOffline: false,
    needsBootstrapIdentity: false,
    needsCertificateStatus: false,
  },
} as const satisfies Record<string, RotationProtocolDescriptor>;

/** A rotation protocol's name, as scenarios and events spell it. */
export type RotationMethod = keyof typeof ROTATION_PROTOCOLS;

type StartedBy<M extends RotationMethod> = (typeof ROTATION_PROTOCOLS)[M]['startedBy'];

/** The protocols whose rotations the backend starts (with a delivery). */
export type BackendDrivenMethod = { [M in RotationMethod]: StartedBy<M> extends 'device' ? never : M }[RotationMethod];

/** The kind of delivery that starts a rotation of a backend-driven protocol. */
export type DeliveryKindOf<M extends BackendDrivenMethod> = StartedBy<M> extends { backendDelivery: infer K extends RotationDeliveryKind } ? K : never;

/** Every name, in registry order: the scenario schema's enum. */
export const ROTATION_METHODS = Object.keys(ROTATION_PROTOCOLS) as [RotationMethod, ...RotationMethod[]];

export function isBackendDriven(method: RotationMethod): method is BackendDrivenMethod {
  return ROTATION_PROTOCOLS[method].startedBy !== 'device';
}

/** The protocols the backend starts, in registry order. */
export const BACKEND_DRIVEN_METHODS: readonly BackendDrivenMethod[] = ROTATION_METHODS.filter(isBackendDriven);

/** The backend-driven protocol a delivery of this kind starts (a planned certificate delivery is a push too). */
export function methodStartedBy(kind: RotationDeliveryKind): BackendDrivenMethod {
  const found = BACKEND_DRIVEN_METHODS.find((m) => deliveryKindOf(m) === kind);
  if (!found) throw new RangeError(`no rotation protocol starts with a "${kind}" delivery`);
  return found;
}

export function deliveryKindOf<M extends BackendDrivenMethod>(method: M): DeliveryKindOf<M> {
  const startedBy = ROTATION_PROTOCOLS[method].startedBy as StartedBy<BackendDrivenMethod>;
  return startedBy.backendDelivery as DeliveryKindOf<M>;
}

/** "csr: ... job: ...": the protocols described one after the other, for the scenario schema. */
export function describeRotationProtocols(): string {
  return ROTATION_METHODS.map((m) => `${m}: ${ROTATION_PROTOCOLS[m].description}`).join(' ');
}
