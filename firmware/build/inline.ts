// Inlines a bundle's module-level constants. esbuild inlines a `const` imported from another
// module but not one used in the file that declares it (register addresses, state codes, table
// indices next to their driver): those stay `var X = 0x88` in the bundle. On Espruino each such
// root-scope variable costs JsVars for as long as the program runs (its name and its value) and
// every use costs a name lookup, so this pass replaces each use by the literal and drops the
// declaration (docs/firmware.md "Heap on the real interpreter").
//
// Safe by construction rather than by scope analysis: a constant is inlined only when its name is
// declared exactly once in the whole bundle (no local of the same name could be meant), it is never
// assigned, updated or deleted, and its value is a number, boolean, null or a string literal (a
// string only when it is used at most once, so the image does not repeat it).
import { parse } from 'acorn';

interface N {
  type: string;
  start: number;
  end: number;
  [k: string]: unknown;
}

function isNode(v: unknown): v is N {
  return typeof v === 'object' && v !== null && typeof (v as N).type === 'string';
}

function children(n: N): N[] {
  const out: N[] = [];
  for (const k of Object.keys(n)) {
    if (k === 'type' || k === 'start' || k === 'end') continue;
    const v = n[k];
    if (Array.isArray(v)) for (const x of v) { if (isNode(x)) out.push(x); }
    else if (isNode(v)) out.push(v);
  }
  return out;
}

/** Literal source text of a constant initialiser, or null when it is not a plain literal. */
function literalText(code: string, init: N | null): string | null {
  if (!init) return null;
  if (init.type === 'Literal') {
    const v = init.value;
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return code.slice(init.start, init.end);
    if (typeof v === 'string') return code.slice(init.start, init.end);
    return null; // regex, bigint
  }
  if (init.type === 'UnaryExpression' && init.operator === '-' && isNode(init.argument) && init.argument.type === 'Literal' && typeof init.argument.value === 'number') {
    return `(${code.slice(init.start, init.end)})`;
  }
  return null;
}

/** The statements whose `var`s are the bundle's module level: an IIFE's body, or the program's. */
function moduleBody(program: N): N[] {
  const body = program.body as N[];
  if (body.length >= 1) {
    const last = body[body.length - 1]!;
    if (last.type === 'ExpressionStatement' && isNode(last.expression) && last.expression.type === 'CallExpression') {
      const callee = last.expression.callee as N;
      if ((callee.type === 'ArrowFunctionExpression' || callee.type === 'FunctionExpression') && isNode(callee.body) && callee.body.type === 'BlockStatement') {
        return callee.body.body as N[];
      }
    }
  }
  return body;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** code[start, end) with the edits that fall inside it applied (edits never overlap). */
function applyEdits(code: string, start: number, end: number, edits: Edit[]): string {
  const inside = edits.filter((e) => e.start >= start && e.end <= end).sort((a, b) => a.start - b.start);
  let out = '';
  let at = start;
  for (const e of inside) {
    out += code.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + code.slice(at, end);
}

export interface InlineResult {
  code: string;
  /** Names inlined, for the build report and tests. */
  inlined: string[];
}

export function inlineModuleConstants(code: string): InlineResult {
  const program = parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }) as unknown as N;
  const top = moduleBody(program);
  const candidates = new Map<string, { text: string; decl: N; stmt: N }>();
  for (const stmt of top) {
    if (stmt.type !== 'VariableDeclaration') continue;
    for (const d of stmt.declarations as N[]) {
      const id = d.id as N;
      if (id.type !== 'Identifier') continue;
      const text = literalText(code, d.init as N | null);
      if (text !== null) candidates.set(id.name as string, { text, decl: d, stmt });
    }
  }
  if (candidates.size === 0) return { code, inlined: [] };

  // Every binding of every name, every write, every read (with how to rewrite it).
  const declared = new Map<string, number>();
  const written = new Set<string>();
  const reads: { name: string; start: number; end: number; shorthand: boolean }[] = [];
  const declare = (p: N | null): void => {
    if (!p) return;
    if (p.type === 'Identifier') declared.set(p.name as string, (declared.get(p.name as string) ?? 0) + 1);
    else if (p.type === 'AssignmentPattern') declare(p.left as N);
    else if (p.type === 'RestElement') declare(p.argument as N);
    else if (p.type === 'ArrayPattern') for (const e of p.elements as (N | null)[]) declare(e);
    else if (p.type === 'ObjectPattern') for (const q of p.properties as N[]) declare(q.type === 'Property' ? (q.value as N) : q);
  };
  const target = (p: N): void => {
    if (p.type === 'Identifier') written.add(p.name as string);
    else if (p.type === 'MemberExpression') return;
    else for (const c of children(p)) target(c);
  };
  const visit = (n: N, parent: N | null, key: string): void => {
    switch (n.type) {
      case 'VariableDeclarator': declare(n.id as N); if (n.init) visit(n.init as N, n, 'init'); return;
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        if (n.id) declare(n.id as N);
        for (const p of n.params as N[]) { declare(p); visit(p, n, 'params'); }
        visit(n.body as N, n, 'body');
        return;
      case 'ClassDeclaration': case 'ClassExpression':
        if (n.id) declare(n.id as N);
        if (n.superClass) visit(n.superClass as N, n, 'superClass');
        visit(n.body as N, n, 'body');
        return;
      case 'CatchClause': if (n.param) declare(n.param as N); visit(n.body as N, n, 'body'); return;
      case 'AssignmentExpression': target(n.left as N); break;
      case 'UpdateExpression': target(n.argument as N); break;
      case 'UnaryExpression': if (n.operator === 'delete') target(n.argument as N); break;
      case 'ForInStatement': case 'ForOfStatement': if ((n.left as N).type !== 'VariableDeclaration') target(n.left as N); break;
      case 'MemberExpression':
        visit(n.object as N, n, 'object');
        if (n.computed) visit(n.property as N, n, 'property');
        return;
      case 'Property': case 'MethodDefinition': case 'PropertyDefinition':
        if (n.computed) visit(n.key as N, n, 'key');
        if (n.type === 'Property' && n.shorthand && (n.value as N).type === 'Identifier') {
          const v = n.value as N;
          reads.push({ name: v.name as string, start: n.start, end: n.end, shorthand: true });
          return;
        }
        if (n.value) visit(n.value as N, n, 'value');
        return;
      case 'LabeledStatement': visit(n.body as N, n, 'body'); return;
      case 'BreakStatement': case 'ContinueStatement': return;
      case 'Identifier':
        if (parent && key !== 'label') reads.push({ name: n.name as string, start: n.start, end: n.end, shorthand: false });
        return;
      default: break;
    }
    for (const k of Object.keys(n)) {
      if (k === 'type' || k === 'start' || k === 'end') continue;
      const v = n[k];
      if (Array.isArray(v)) { for (const x of v) if (isNode(x)) visit(x, n, k); }
      else if (isNode(v)) visit(v, n, k);
    }
  };
  visit(program, null, '');

  const uses = new Map<string, number>();
  for (const r of reads) uses.set(r.name, (uses.get(r.name) ?? 0) + 1);
  const take = new Set<string>();
  for (const [name, c] of candidates) {
    // A string used more than once would be repeated in the image: it stays a variable.
    if (c.text.startsWith('"') || c.text.startsWith("'")) { if ((uses.get(name) ?? 0) > 1) continue; }
    if (declared.get(name) === 1 && !written.has(name)) take.add(name);
  }
  if (take.size === 0) return { code, inlined: [] };

  // Reads become literals; each statement that declared an inlined constant is rewritten with
  // the declarators it keeps (reads inside those are rewritten too).
  const readEdits: Edit[] = [];
  for (const r of reads) {
    if (!take.has(r.name)) continue;
    const text = candidates.get(r.name)!.text;
    readEdits.push({ start: r.start, end: r.end, text: r.shorthand ? `${r.name}: ${text}` : text });
  }
  const stmts = new Set<N>();
  for (const name of take) stmts.add(candidates.get(name)!.stmt);
  const edits: Edit[] = readEdits.filter((e) => ![...stmts].some((s) => e.start >= s.start && e.end <= s.end));
  for (const stmt of stmts) {
    const keep = (stmt.declarations as N[]).filter((d) => !take.has((d.id as N).name as string));
    const parts = keep.map((d) => applyEdits(code, d.start, d.end, readEdits));
    edits.push({ start: stmt.start, end: stmt.end, text: keep.length === 0 ? '' : `${stmt.kind as string} ${parts.join(', ')};` });
  }
  const out = applyEdits(code, 0, code.length, edits);
  return { code: out, inlined: [...take].sort() };
}
