// Every command that touches the registry resolves the same file for the same inputs
// (flag > environment > config file > default, host/paths.ts), as real `kerb` processes: each
// command's --help prints the path it would use, and `kerb gateway --check-config` the one it runs with.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));
const COMMANDS = ['gateway', 'device', 'flash', 'decode', 'keys'];

interface Out { code: number; stdout: string; stderr: string }
function kerb(args: string[], env: Record<string, string>, cwd: string): Promise<Out> {
  // Only the variables given: no KERB_* or XDG_* from the machine running the tests.
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '', ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [KERB, ...args], { env: clean, cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function registryLine(o: Out, cmd: string): string {
  const m = /^ {2}registry {9}(\S+) \((.+)\)$/m.exec(o.stdout);
  if (!m) throw new Error(`kerb ${cmd} --help printed no resolved registry:\n${o.stdout}${o.stderr}`);
  return m[1]!;
}

let dir: string;
let home: string;
let emptyCfg: string;
let cfg: string;
beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-cli-paths-')));
  home = path.join(dir, 'home');
  fs.mkdirSync(home);
  // An empty config file stands for "no config" whatever /etc/kerb holds on this machine.
  emptyCfg = path.join(dir, 'empty.yaml');
  fs.writeFileSync(emptyCfg, '');
  fs.mkdirSync(path.join(dir, 'etc'));
  cfg = path.join(dir, 'etc', 'gateway.yaml');
  fs.writeFileSync(cfg, 'gateway:\n  stateDir: state\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cases: { name: string; args: string[]; env: () => Record<string, string>; want: () => string }[] = [
  { name: 'default: ~/.local/state/kerb', args: [], env: () => ({ HOME: home, KERB_CONFIG: emptyCfg }), want: () => path.join(home, '.local/state/kerb/devices.json') },
  { name: 'config file over the default', args: [], env: () => ({ HOME: home, KERB_CONFIG: cfg }), want: () => path.join(dir, 'etc/state/devices.json') },
  { name: 'KERB_STATE_DIR over the config file', args: [], env: () => ({ HOME: home, KERB_CONFIG: cfg, KERB_STATE_DIR: path.join(dir, 'st') }), want: () => path.join(dir, 'st/devices.json') },
  { name: 'deprecated KERB_GATEWAY_STATE_DIR still read', args: [], env: () => ({ HOME: home, KERB_CONFIG: cfg, KERB_GATEWAY_STATE_DIR: path.join(dir, 'old') }), want: () => path.join(dir, 'old/devices.json') },
  { name: 'relative --registry over everything, from the current directory', args: ['--registry', 'sub/flag.json'], env: () => ({ HOME: home, KERB_CONFIG: cfg, KERB_REGISTRY: '/nowhere.json', KERB_STATE_DIR: '/nowhere' }), want: () => path.join(dir, 'sub/flag.json') },
];

describe('one registry rule for every command', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const runs = await Promise.all(COMMANDS.map((cmd) => kerb([cmd, ...c.args, '--help'], c.env(), dir)));
      runs.forEach((r, k) => expect(r.code, `kerb ${COMMANDS[k]} --help: ${r.stderr}`).toBe(0));
      const got = runs.map((r, k) => registryLine(r, COMMANDS[k]!));
      expect(got).toEqual(COMMANDS.map(() => c.want()));
      // The gateway runs with what its --help says.
      const check = await kerb(['gateway', ...c.args, '--check-config'], c.env(), dir);
      expect(check.code, check.stderr).toBe(0);
      expect((JSON.parse(check.stdout) as { gateway: { registry: string } }).gateway.registry).toBe(c.want());
    });
  }

  it('warns that KERB_GATEWAY_STATE_DIR is deprecated', async () => {
    const r = await kerb(['gateway', '--check-config'], { HOME: home, KERB_CONFIG: emptyCfg, KERB_GATEWAY_STATE_DIR: path.join(dir, 'old') }, dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('KERB_GATEWAY_STATE_DIR is deprecated; set KERB_STATE_DIR instead');
  });

  it('kerb device add writes the registry the rule names', async () => {
    const env = { HOME: home, KERB_CONFIG: cfg };
    const r = await kerb(['device', 'add', 'lamp-paths'], env, dir);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, 'etc/state/devices.json');
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { devices: { id: string }[] }).devices.map((d) => d.id)).toEqual(['lamp-paths']);
  });
});
