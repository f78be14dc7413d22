import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { freePorts, isPortInUse } from '../../src/hosts/free-port';

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
