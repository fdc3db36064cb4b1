// One argument parser for every `kerb` command (cli/args.ts): the parser itself, and every command
// as a real `node bin/kerb.mjs …` process answering --help, unknown options and bad values the
// same way.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse, helpText, suggest, num, UsageError, type CommandSpec } from '../../cli/args.ts';
import { SPEC as GATEWAY } from '../../cli/gateway.ts';
import { SPEC as SIM } from '../../cli/sim.ts';
import { SPEC as BUILD } from '../../cli/build.ts';
import { SPEC as FLASH } from '../../cli/flash.ts';
import { SPEC as KEYS } from '../../cli/keys.ts';
import { SPEC as DECODE } from '../../cli/decode.ts';
import { SPEC as WATCH } from '../../cli/watch.ts';
import { SPEC as BENCH } from '../../cli/bench.ts';
import { ADD, LIST, REMOVE } from '../../cli/device.ts';

const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }
function kerb(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KERB, ...args], { env: { ...process.env, KERB_CONFIG: '' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const SPECS: [string[], CommandSpec][] = [
  [['gateway'], GATEWAY], [['sim'], SIM], [['build'], BUILD], [['flash'], FLASH], [['keys'], KEYS],
  [['decode'], DECODE], [['watch'], WATCH], [['bench'], BENCH],
  [['device', 'add'], ADD], [['device', 'list'], LIST], [['device', 'remove'], REMOVE],
];

const SPEC_T: CommandSpec = {
  name: 'kerb t',
  usage: '[options]',
  summary: 'a test command',
  positionals: true,
  options: {
    scenario: { type: 'string', short: 's', value: 'FILE', help: 'scenario file' },
    lon: { type: 'string', value: 'DEG', help: 'longitude' },
    radio: { type: 'string', multiple: true, value: 'PATH', help: 'a radio' },
    quiet: { type: 'boolean', short: 'q', help: 'no output' },
  },
  examples: ['kerb t -s x.yaml'],
};

describe('the parser', () => {
  it('reads long, short, --name=value, repeated, negative-number values and positionals', () => {
    const p = parse(SPEC_T, ['-s', 'a.yaml', '--lon', '-3.72', '--radio=/dev/a', '--radio', '/dev/b', '-q', 'pos', '-', '--', '--not-an-option']);
    expect(p.values).toEqual({ scenario: 'a.yaml', lon: '-3.72', radio: ['/dev/a', '/dev/b'], quiet: true });
    expect(p.positionals).toEqual(['pos', '-', '--not-an-option']);
    expect(p.help).toBe(false);
    expect(num(p, 'lon', { min: -180, max: 180 })).toBe(-3.72);
  });

  it('names the option and what it expects when a value is missing or wrong', () => {
    expect(() => parse(SPEC_T, ['--scenario'])).toThrow("option '--scenario' needs a value: FILE (scenario file)");
    expect(() => parse(SPEC_T, ['--scenario', '--quiet'])).toThrow("option '--scenario' needs a value: FILE");
    expect(() => parse(SPEC_T, ['--quiet=yes'])).toThrow("option '--quiet' takes no value");
    const p = parse(SPEC_T, ['--lon', 'east']);
    expect(() => num(p, 'lon', { min: -180, max: 180 })).toThrow("option '--lon' expects a number -180..180, got 'east'");
    expect(() => num(parse(SPEC_T, ['--lon', '200']), 'lon', { min: -180, max: 180 })).toThrow(UsageError);
  });

  it('suggests the nearest option for a typo, long or short, and nothing for a stranger', () => {
    expect(() => parse(SPEC_T, ['--scenaro', 'x'])).toThrow("unknown option '--scenaro'; did you mean '--scenario'?");
    expect(() => parse(SPEC_T, ['--quite'])).toThrow("did you mean '--quiet'?");
    expect(() => parse(SPEC_T, ['--frobnicate'])).toThrow(/^unknown option '--frobnicate'$/);
    expect(() => parse(SPEC_T, ['-x'])).toThrow("unknown option '-x'");
    expect(suggest('gatway', ['gateway', 'sim'])).toBe('gateway');
    expect(suggest('zzzzzz', ['gateway', 'sim'])).toBeUndefined();
  });

  it('refuses positionals where a command takes none', () => {
    expect(() => parse({ ...SPEC_T, positionals: false }, ['stray'])).toThrow("unexpected argument 'stray'");
  });

  it('--help lists every option with its description, and the examples', () => {
    const h = helpText(SPEC_T);
    expect(h).toMatch(/^usage: kerb t \[options\]\n\na test command\n/);
    expect(h).toMatch(/^ {2}-s, --scenario FILE +scenario file$/m);
    expect(h).toMatch(/^ {6}--radio PATH \.\.\. +a radio$/m);
    expect(h).toMatch(/^ {2}-h, --help +this text$/m);
    expect(h).toMatch(/example:\n {2}\$ kerb t -s x\.yaml$/);
  });
});

describe('every command', () => {
  it('answers --help (and -h) with its options, their descriptions and an example, exit 0', async () => {
    const runs = await Promise.all(SPECS.map(([cmd]) => kerb([...cmd, '--help'])));
    runs.forEach((r, k) => {
      const [cmd, spec] = SPECS[k]!;
      const what = `kerb ${cmd.join(' ')} --help`;
      expect(r.code, `${what}: ${r.stderr}`).toBe(0);
      expect(r.stdout, what).toContain(`usage: kerb ${cmd.join(' ')} `);
      expect(r.stdout, what).toMatch(/\noptions:\n/);
      for (const [name, o] of Object.entries(spec.options)) {
        // The option and the first words of its description, on its line.
        expect(r.stdout, `${what}: --${name}`).toMatch(new RegExp(`--${name}\\b[^\\n]*\\n?[^\\n]*${o.help.split(' ').slice(0, 2).join(' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
      expect(r.stdout, what).toMatch(/\nexamples?:\n {2}\$ kerb /);
    });
    const short = await kerb(['build', '-h']);
    expect(short.code).toBe(0);
    expect(short.stdout).toContain('--keep-identifiers');
    const device = await kerb(['device', '--help']);
    expect(device.code).toBe(0);
    expect(device.stdout).toMatch(/subcommands:\n {2}add <id>/);
    expect(device.stdout).toMatch(/example/);
  }, 120_000);

  it('refuses an unknown option with exit 2 and the same wording everywhere', async () => {
    const runs = await Promise.all(SPECS.map(([cmd]) => kerb([...cmd, '--bogus-option'])));
    runs.forEach((r, k) => {
      const name = `kerb ${SPECS[k]![0].join(' ')}`;
      expect({ name, code: r.code }).toEqual({ name, code: 2 });
      expect(r.stderr).toBe(`${name}: unknown option '--bogus-option'\nRun '${name} --help' for its options.\n`);
      expect(r.stdout).toBe('');
    });
  }, 120_000);

  it('suggests the option meant', async () => {
    const [sim, flash, gw, dev] = await Promise.all([
      kerb(['sim', '--scenaro', 'x']),
      kerb(['flash', '--bord', 'pico']),
      kerb(['gateway', '--mqt-url', 'mqtt://x']),
      kerb(['device', 'lst']),
    ]);
    expect(sim.code).toBe(2);
    expect(sim.stderr).toContain("kerb sim: unknown option '--scenaro'; did you mean '--scenario'?");
    expect(flash.code).toBe(2);
    expect(flash.stderr).toContain("did you mean '--board'?");
    expect(gw.stderr).toContain("did you mean '--mqtt-url'?");
    expect(dev.code).toBe(2);
    expect(dev.stderr).toContain("unknown subcommand 'lst'; did you mean 'list'?");
  }, 60_000);

  it('names the option and what it expects for a missing or invalid value', async () => {
    const runs = await Promise.all([
      kerb(['sim', '--scenario']),
      kerb(['watch', '--count', 'many']),
      kerb(['flash', '--board', 'pico', '--baud', 'fast']),
      kerb(['device', 'add', 'lamp-x', '--lat', 'north', '--lon', '3']),
      kerb(['sim', '--scenario', 'sim/scenarios/quickstart.yaml', '--paced', 'fast']),
      kerb(['decode', '00', '--last-fcnt', '-1']),
    ]);
    const want = [
      "kerb sim: option '--scenario' needs a value: FILE",
      "kerb watch: option '--count' expects an integer ≥ 1, got 'many'",
      "kerb flash: option '--baud' expects an integer 1200..4000000, got 'fast'",
      "kerb device add: option '--lat' expects a number -90..90, got 'north'",
      "kerb sim: option '--paced' expects a factor like x60 or x1, got 'fast'",
      "kerb decode: option '--last-fcnt' expects an integer 0..4294967295, got '-1'",
    ];
    runs.forEach((r, k) => {
      expect(r.code, want[k]).toBe(2);
      expect(r.stderr).toContain(want[k]!);
    });
  }, 60_000);
});
