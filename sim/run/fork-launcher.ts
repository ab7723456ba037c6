import { fork } from 'node:child_process';
import type { FromDeviceProcess, ToDeviceProcess } from '../../workers/protocol.js';
import { compiledScript } from '../../workers/shard-pool.js';
import type { HostLauncher, HostListener, LaunchedHost, SlotPlace } from './host-launcher.js';

/** A child that said 'stopped' exits by itself once its channel closes; past this it is killed. */
const EXIT_GRACE_MS = 5_000;

/**
 * Hosts slots in child processes of this machine (workers/device-process.ts), one per slot, spoken to over Node's
 * IPC channel with the 'advanced' serialization (structured clone: Infinity, Maps and typed arrays survive).
 */
export class ForkLauncher implements HostLauncher {
  readonly #devices: number;

  constructor(devices: number) {
    this.#devices = devices;
  }

  launch(slot: SlotPlace, listener: HostListener): LaunchedHost {
    // Not the parent's flags (a test runner's loaders, say): only what CERTFLEET_DEVICE_NODE_ARGS asks for, such as
    // "--cpu-prof --cpu-prof-dir=prof" to profile the devices (Node refuses --cpu-prof in NODE_OPTIONS).
    const execArgv = (process.env.CERTFLEET_DEVICE_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
    const child = fork(compiledScript('workers/device-process.js'), [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const devices = this.#devices;
    const name = `device process ${slot.index} (pid ${child.pid ?? 'unknown'}, ${slot.held} of ${devices} device${devices === 1 ? '' : 's'})`;
    let saidStopped = false;
    child.on('message', (message: FromDeviceProcess) => {
      if (message.type === 'stopped') saidStopped = true;
      listener.message(message);
    });
    child.on('exit', (code, signal) => listener.exit(`${name} exited unexpectedly: ${signal ? `killed by ${signal}` : `exit code ${code}`}`, true));
    child.on('error', (error: NodeJS.ErrnoException) => {
      // A message sent to a process that is dying: its exit, which follows, says what happened.
      if (error.code === 'EPIPE' || error.code === 'ERR_IPC_CHANNEL_CLOSED') return;
      listener.exit(`${name}: ${error.message}`, true);
    });
    const running = () => child.exitCode === null && child.signalCode === null;
    return {
      name,
      pid: child.pid,
      send: (message: ToDeviceProcess) => {
        if (child.connected) child.send(message);
      },
      kill: () => child.kill('SIGKILL'),
      destroy: () => {
        if (!running()) return;
        if (!saidStopped) child.kill('SIGKILL');
        else setTimeout(() => running() && child.kill('SIGKILL'), EXIT_GRACE_MS).unref();
      },
    };
  }
}
