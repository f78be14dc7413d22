import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { freePorts, isPortInUse } from '../../src/hosts/free-port';
import { ephemeralRangeStart, quietPorts } from '../helpers/quiet-ports';

describe('freePorts', () => {
  it('hands out distinct ports that are free once it returns', async () => {
    const ports = await freePorts(12);
    assert.equal(ports.length, 12);
    assert.equal(new Set(ports).size, 12, ports.join(', '));
    for (const port of ports) assert.equal(await isPortInUse(port), false, `port ${port} still held`);
  });

  it('sees a port that is listened on as in use', async () => {
    const [port = 0] = await freePorts(1);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      assert.equal(await isPortInUse(port), true);
    } finally {
      server.close();
    }
  });
});

describe("quietPorts (the test stacks' ports)", () => {
  it('hands out distinct free ports below the ephemeral range, which the kernel never hands out by itself', async () => {
    const ports = await quietPorts(12);
    assert.equal(new Set(ports).size, 12, ports.join(', '));
    const top = ephemeralRangeStart();
    for (const port of ports) {
      assert.ok(port >= 10_000 && port < top, `port ${port} outside 10000..${top - 1}`);
      assert.equal(await isPortInUse(port), false, `port ${port} still held`);
    }
  });

  it('never hands out a port that is listened on, in a range asked for', async () => {
    // A narrow range with every other port held: only the free ones can come back.
    const [from = 0] = await quietPorts(1);
    const to = from + 20;
    const listenOn = (port: number): Promise<Server | undefined> =>
      new Promise((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(undefined));
        server.listen(port, '127.0.0.1', () => resolve(server));
      });
    const held = (await Promise.all(Array.from({ length: to - from }, (_, i) => listenOn(from + i)))).filter((s) => s !== undefined);
    const released = held.filter((_, i) => i % 2 === 0);
    const free = released.map((server) => (server.address() as AddressInfo).port);
    await Promise.all(released.map((server) => new Promise((resolve) => server.close(resolve))));
    try {
      const chosen = await freePorts(free.length, '127.0.0.1', { from, to });
      assert.deepEqual([...chosen].sort(), [...free].sort());
    } finally {
      for (const server of held.filter((_, i) => i % 2 === 1)) server.close();
    }
  });
});
