import type { DeliveryMessage } from '../../sim/device-api/messages.js';
import type { BrokerLink } from '../backend/broker-link.js';
import type { DeliveryChannel } from '../delivery-service.js';
import type { JobStore } from './job-store.js';
import { notifyNext } from './jobs-api-service.js';

/**
 * A rotation job pushed to a device that is online: NextJobExecutionChanged on `$aws/things/<thing>/jobs/notify-next`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html) with the
 * execution, as AWS IoT sends it when a job is queued for a thing with nothing else pending. The device's start-next
 * for it is the acknowledgement (JobStore.onStarted); one it never starts stays QUEUED for its next connect.
 */
export function jobNotifyChannel(broker: BrokerLink, store: JobStore): DeliveryChannel {
  return {
    push: async (deviceId: string, message: DeliveryMessage) => {
      if (message.kind !== 'job') return;
      const execution = store.next(deviceId);
      // Superseded or already started (the device took it at its connect): nothing to announce, nothing to wait for.
      if (execution?.jobId !== message.jobId || execution.status !== 'QUEUED') return;
      await notifyNext(broker, deviceId, execution, message.effectiveAt);
    },
  };
}
