// `kerb flash` must not report a flash that never reached a board, or reached it damaged, as a
// success: a port that does not exist, a pseudo-terminal nobody answers on, and a stand-in board
// that stores what it is sent but reports one file's CRC wrong must each end in exit 1 with a
// reason that names the port or the file. (A pty with the real interpreter behind it, flashed end
// to end: test/sim/espruino-host/flash.test.ts.)
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { cliFailure } from '../../firmware/build/flash.ts';

const REGISTRY = JSON.stringify({ devices: [{ id: 'lamp-0001', devAddr: '26011BDA', nwkSKey: '2B7E151628AED2A6ABF7158809CF4F3C', appSKey: '000102030405060708090A0B0C0D0E0F' }] });

function kerb(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/kerb.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A pseudo-terminal at `link` whose other end is this test (socat pty <-> STDIO). */
async function pty(link: string): Promise<ChildProcess> {
  const p = spawn('socat', [`pty,raw,echo=0,link=${link}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
  p.stdin!.on('error', () => {});
  for (let i = 0; i < 500 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(link)) throw new Error('socat did not create the pty');
  return p;
}

/**
 * A stand-in that answers like an Espruino console: a prompt after every line, Storage.write lines
 * (as the espruino CLI sends them: atob chunks at offsets) stored, the kerb probe answered, and the
 * read-back answered with true lengths and CRCs except for the file named `lieAbout`.
 */
function lyingBoard(p: ChildProcess, lieAbout: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let buf = '';
  p.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.search(/[\r\n]/)) >= 0) {
      // The CLI prefixes lines with control bytes and VT100 line-number escapes (ESC [ n d).
      const line = buf.slice(0, i).replace(/\x1b\[\d*[a-zA-Z]/g, '').replace(/[\x00-\x1f]/g, '');
      buf = buf.slice(i + 1);
      let out = '';
      const w = /require\("Storage"\)\.write\("([^"]+)",atob\("([^"]*)"\),(\d+)(?:,(\d+))?\)/.exec(line);
      if (w) {
        const data = Buffer.from(w[2]!, 'base64');
        const off = Number(w[3]);
        const f = w[4] !== undefined ? Buffer.alloc(Number(w[4])) : files.get(w[1]!) ?? Buffer.alloc(0);
        data.copy(f, off);
        files.set(w[1]!, f);
      } else if (line.includes('print("KERB_"+"HI")')) out = 'KERB_HI\r\n';
      else if (line.includes('"KERB_"+"RB ')) {
        const names = JSON.parse(/(\[[^\]]*\])\.forEach/.exec(line)![1]!) as string[];
        const o: Record<string, [number, number] | null> = {};
        for (const n of names) {
          const f = files.get(n);
          o[n] = f ? [f.length, (crc32(f) ^ (n === lieAbout ? 1 : 0)) >>> 0] : null;
        }
        out = `KERB_RB ${JSON.stringify(o)}\r\n`;
      }
      p.stdin!.write(`${out}>`);
    }
  });
  return files;
}

describe('kerb flash tells the truth', () => {
  let state = '';
  let socat: ChildProcess | null = null;
  afterEach(() => {
    socat?.kill();
    socat = null;
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('exits non-zero with the reason when the port does not exist', async () => {
    state = mkdtempSync(join(tmpdir(), 'kerb-flash-cli-'));
    const port = join(state, 'ttyNOPE');
    const r = await kerb(['flash', '--board', 'pico', '--entry', 'bridge', '--port', port], { KERB_STATE_DIR: state });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nothing was flashed');
    expect(r.stderr).toContain(port);
    expect(r.stdout).not.toMatch(/restarted|console password/);
  }, 120_000);

  it('exits 1 naming the port and what to check when a pseudo-terminal never answers', async () => {
    state = mkdtempSync(join(tmpdir(), 'kerb-flash-cli-'));
    const port = join(state, 'ttySILENT');
    socat = await pty(port);
    let heard = '';
    socat.stdout!.on('data', (d: Buffer) => { heard += d.toString('latin1'); });
    const r = await kerb(['flash', '--board', 'pico', '--entry', 'bridge', '--port', port], { KERB_STATE_DIR: state });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`nothing was flashed: no answer from ${port.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} within \\d+ s \\(nothing at all\\)`));
    expect(r.stderr).toMatch(/powered/);
    expect(r.stderr).toMatch(/baud rate/);
    expect(r.stdout).not.toMatch(/restarted|console password/);
    // kerb asked, and wrote no Storage at all to a board that never answered.
    expect(heard).toContain('KERB_');
    expect(heard).not.toContain('Storage").write');
  }, 120_000);

  it('exits 1 naming the file when the read-back does not match what was written', async () => {
    state = mkdtempSync(join(tmpdir(), 'kerb-flash-cli-'));
    const port = join(state, 'ttyLIAR');
    const reg = join(state, 'devices.json');
    writeFileSync(reg, REGISTRY, { mode: 0o600 });
    socat = await pty(port);
    const files = lyingBoard(socat, '.bootcde');
    const r = await kerb(['flash', '--board', 'pico', '--device', 'lamp-0001', '--registry', reg, '--port', port], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/flash failed: read-back: \.bootcde on the board is \d+ bytes, CRC32 [0-9a-f]{8}; kerb wrote \d+ bytes, CRC32 [0-9a-f]{8}; the board was not restarted/);
    expect(r.stderr).not.toMatch(/kerb\.cfg on the board/);
    // Everything did arrive (the stand-in only lied): the password it now holds is kept.
    expect(files.get('kerb.cfg')!.toString()).toContain('"devAddrHex":"26011BDA"');
    const pw = /console password ([2-9a-zA-Z]{20})/.exec(r.stdout)![1]!;
    expect(r.stdout.split(pw).length - 1).toBe(1);
    expect(r.stderr).not.toContain(pw);
    expect(files.get('.bootcde')!.toString('latin1').startsWith(`E.setPassword("${pw}");E.lockConsole();\n`)).toBe(true);
    expect((JSON.parse(readFileSync(reg, 'utf8')) as { devices: { consolePassword?: string }[] }).devices[0]!.consolePassword).toBe(pw);
  }, 240_000);

  it('reads the CLI failure lines and leaves a clean upload alone', () => {
    expect(cliFailure('Connecting to \'/dev/ttyACM0\'\nUnable to connect!\n')).toBe('Unable to connect!');
    expect(cliFailure('serial: Port "/dev/x" not found\nUnable to connect!')).toBe('serial: Port "/dev/x" not found');
    expect(cliFailure('Explicit board JSON supplied\nConnecting to \'/dev/ttyACM0\'\nConnected\nUpload Complete\n')).toBeUndefined();
  });
});
