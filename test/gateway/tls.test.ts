// TLS to the broker with a test CA made by openssl in a temp dir, against mosquitto's TLS listener.
// Also the Raspberry Pi boot case: the broker's certificate is "not yet valid" (as it looks to a Pi
// whose clock NTP has not set), the gateway says so, keeps retrying without crashing or spinning,
// and delivers what it accepted meanwhile once the certificate checks out.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { Consumer, GatewayProcess, gatewayArgs, makeRig, waitUntil } from '../helpers/gateway.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** CA, a server certificate for localhost/127.0.0.1, and one that only becomes valid in 2099. */
function makePki(): { dir: string; ca: string; cert: string; key: string; futureCert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-pki-'));
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=kerb test CA'], dir);
  ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], dir);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ossl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], dir);
  // `openssl ca` is the 3.0 way to choose a start date.
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca = d\n[d]\ndir = ${dir}\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[p]\ncommonName = supplied\n`,
  );
  ossl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'server.csr', '-out', 'future.pem', '-startdate', '20990101000000Z', '-enddate', '21000101000000Z', '-notext'], dir);
  return { dir, ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key'), futureCert: path.join(dir, 'future.pem') };
}

describe('TLS to the broker', () => {
  it('connects with a CA, and retries (without crashing) while the certificate is not yet valid', async () => {
    const pki = makePki();
    cleanups.push(() => fs.rmSync(pki.dir, { recursive: true, force: true }));
    // The listener's certificate file: first the "not yet valid" one, later the good one.
    const served = path.join(pki.dir, 'served.pem');
    fs.copyFileSync(pki.futureCert, served);
    // persist: the consumer's session (and its subscription) survives the broker restart below.
    const mosq = await startMosquitto({ tls: { ca: pki.ca, cert: served, key: pki.key }, persist: true });
    cleanups.push(() => mosq.close());
    const rig = await makeRig(1, 'tls');
    cleanups.push(() => rig.close());
    const consumer = new Consumer(mosq.url, ['kerb/device/+/up'], { clientId: 'consumer-tls', clean: false });
    await consumer.connect();
    cleanups.push(() => consumer.close());

    const gw = new GatewayProcess(gatewayArgs(rig, mosq.tlsUrl!, ['--set', `mqtt.ca=${pki.ca}`, '--set', 'mqtt.reconnectMaxMs=500']));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    const warn = await gw.waitLog(/certificate is not yet valid/);
    expect(warn.level).toBe('warn');
    expect(warn.msg).toMatch(/clock/);
    await gw.waitLog(/^radio up$/);
    const dev = rig.devices[0]!;
    rig.send(dev); // accepted into the outbox while the broker cannot be reached
    // It keeps trying (several attempts), is alive, and logged the repeating error once.
    await waitUntil(async () => {
      const m = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`).then((r) => r.text());
      const x = /^kerb_mqtt_connect_errors_total\{code="CERT_NOT_YET_VALID"\} (\d+)/m.exec(m);
      return x && Number(x[1]) >= 3;
    }, 20_000, 'repeated connect attempts');
    expect(gw.running).toBe(true);
    expect(gw.logs.filter((l) => /not yet valid/.test(l.msg) && l.level === 'warn').length).toBe(1);
    const health = (await fetch(`http://127.0.0.1:${gw.httpPort}/health`).then((r) => r.json())) as { status: string; outbox: { depth: number } };
    expect(health.status).toBe('degraded');
    expect(health.outbox.depth).toBe(1);

    // "NTP syncs": the certificate is valid now.
    await mosq.stop();
    fs.copyFileSync(pki.cert, served);
    await mosq.start();
    await gw.waitLog(/^mqtt connected$/, 20_000);
    await waitUntil(() => consumer.count() === 1, 10_000, 'uplink over TLS');
    expect(consumer.firstSeen.get(dev.id)).toEqual([1]);
  });

  it('refuses a broker whose certificate is not signed by the configured CA, and says why', async () => {
    const pki = makePki();
    const other = makePki();
    cleanups.push(() => fs.rmSync(pki.dir, { recursive: true, force: true }));
    cleanups.push(() => fs.rmSync(other.dir, { recursive: true, force: true }));
    const mosq = await startMosquitto({ tls: { ca: pki.ca, cert: pki.cert, key: pki.key } });
    cleanups.push(() => mosq.close());
    const rig = await makeRig(1, 'tls2');
    cleanups.push(() => rig.close());
    const gw = new GatewayProcess(gatewayArgs(rig, mosq.tlsUrl!, ['--set', `mqtt.ca=${other.ca}`]));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    const warn = await gw.waitLog(/not trusted|certificate/);
    expect(warn.msg).toMatch(/mqtt\.ca/);
    expect(gw.running).toBe(true);
  });
});
