// The repository stands alone: a person who clones kerb has every document it cites. No tracked
// file may point at notes outside the repo, at a path on a build machine, or at a numbered issue
// of some tracker the reader cannot see; facts are stated in place with their primary source
// (specification section, datasheet, RFC, the Espruino reference). Only `.ci/run` is exempt.
//
// The patterns are assembled from pieces so that this file does not match itself.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXEMPT = new Set(['.ci/run']);

const MD = '\\.' + 'md\\b';
/** Text no tracked file may contain, by name. */
const RULES: { name: string; re: RegExp }[] = [
  { name: 'outside notes', re: new RegExp('\\b(?:' + ['style', 'espruino', 'field'].join('|') + ')' + MD) },
  { name: 'machine path', re: new RegExp('/' + 'work' + '/') },
  // The word issue followed by a number, with or without '#': a tracker the reader cannot see.
  // A public URL ending in issues/NN is a link, not a bare number, and is allowed.
  { name: 'issue number', re: new RegExp('\\b[Ii]' + 'ssues? ?#?\\d+\\b') },
  // A bare hash-number in prose or a comment. Colours (`fill="#111"`, `color:#222`) and Markdown anchors
  // (`#4-downlink-commands`) are not preceded by whitespace or a bracket, or are followed by '-'.
  { name: 'bare #number', re: new RegExp('(?:^|[\\s(\\[])' + '#\\d+\\b(?![-\\w.])', 'm') },
];

/**
 * `../shared/…` is legitimate when it names the repo's own `shared/` folder from inside the repo
 * (an import). It is a citation of something the reader lacks when it resolves outside the
 * repository or to a file that does not exist. Returns `file:line: …` entries.
 */
function badSharedRefs(file: string, text: string): string[] {
  const out: string[] = [];
  const re = new RegExp('((?:\\.\\./)+)' + 'shared/([\\w.\\-/]*[\\w/])?', 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const target = resolve(ROOT, dirname(file), m[1]! + 'shared/' + (m[2] ?? ''));
    const rel = relative(ROOT, target);
    if (rel === '..' || rel.startsWith('..' + sep) || !existsSync(target)) {
      out.push(`${file}:${text.slice(0, m.index).split('\n').length}: path outside the repo or missing: ${m[0]}`);
    }
  }
  return out;
}

/** Every problem in one file's text (`file` repo-relative, '/'-separated), as `file:line: rule: snippet`. */
function problems(file: string, text: string): string[] {
  const out: string[] = [];
  for (const rule of RULES) {
    const m = rule.re.exec(text);
    if (m) {
      const at = m.index;
      const line = text.slice(0, at).split('\n').length;
      out.push(`${file}:${line}: ${rule.name}: ${JSON.stringify(text.slice(Math.max(0, at - 20), at + m[0].length + 20))}`);
    }
  }
  out.push(...badSharedRefs(file, text));
  return out;
}

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '' && !EXEMPT.has(f));
}

describe('the repository stands alone', () => {
  it('no tracked file cites outside notes, a machine path, an issue number or a path outside the repo', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    let read = 0;
    for (const f of files) {
      const p = join(ROOT, f);
      if (!existsSync(p) || !statSync(p).isFile()) continue; // deleted in the work tree, not yet committed
      const buf = readFileSync(p);
      if (buf.subarray(0, 8000).includes(0)) continue; // binary
      read++;
      found.push(...problems(f, buf.toString('utf8')));
    }
    expect(read).toBeGreaterThan(100);
    expect(found, found.join('\n')).toEqual([]);
  });

  it('the matcher catches each kind of bad reference and passes the legitimate look-alikes', () => {
    const bad: [string, string][] = [
      ['shared/node/node.ts', '// see ' + 'style' + '.md §6'],
      ['firmware/build/subset.ts', '// (' + 'espruino' + '.md "Built-ins")'],
      ['test/x.test.ts', "// anchors from " + 'field' + '.md: SF7'],
      ['test/vectors/v.json', '{ "src": "/' + 'work/shared/notes" }'],
      ['sim/env.ts', '// Virtual street (iss' + 'ue 5 "signals")'],
      ['README.md', 'as Iss' + 'ue #12 asks'],
      ['docs/node.md', 'fixed in (' + '#7)'],
      ['eslint.config.js', '// subset from ..' + '/shared/notes.txt'],
      ['bench/x.bench.ts', "import { a } from '.." + "/shared/lorawan/nope.ts';"],
    ];
    for (const [file, text] of bad) expect(problems(file, text), text).not.toEqual([]);

    const good: [string, string][] = [
      ['bench/x.bench.ts', "import { aesCmac } from '.." + "/shared/lorawan/cmac.ts';"],
      ['firmware/src/hal/aes.ts', "import type { Aes } from '../../.." + "/shared/lorawan/aes.ts';"],
      ['sim/report.ts', '<path fill="#111" stroke="#fff"/> color:#222'],
      ['docs/gateway.md', '[protocol.md §4](protocol.md#4-downlink-commands)'],
      ['test/vectors/f.json', '"source": "github.com/anthonykirby/lora-packet/issues/18"'],
      ['docs/device-subset.md', 'see [firmware.md](firmware.md) and node.md'],
    ];
    for (const [file, text] of good) expect(problems(file, text), text).toEqual([]);
  });
});
