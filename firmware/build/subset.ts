// Post-bundle Espruino-subset checker: parses the exact text that would be sent to a board and
// rejects syntax the interpreter cannot parse and built-ins it does not have (docs/device-subset.md,
// Espruino 2v29). esbuild's `supported` map already refuses or lowers most syntax;
// this pass is the independent second line, so a lowering gap or a helper esbuild injects (object
// spread → Object.getOwnPropertySymbols, #private → WeakMap) never reaches a device.
import { parse } from 'acorn';

export interface Violation {
  line: number;
  column: number; // 1-based
  construct: string;
  message: string;
  snippet: string;
}

// Node shape as acorn produces it (ESTree); loose typing is confined to this file.
interface N {
  type: string;
  start: number;
  end: number;
  loc?: { start: { line: number; column: number } };
  [k: string]: unknown;
}

/** Globals Espruino does not define at all (docs/device-subset.md "Built-ins that are missing"). */
const MISSING_GLOBALS = ['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Intl', 'SharedArrayBuffer', 'Atomics'];

/** Static members that are missing: `Object.freeze` etc. */
const MISSING_STATICS: Record<string, string[]> = {
  Array: ['from', 'of'],
  Object: ['freeze', 'seal', 'is', 'isFrozen', 'isSealed', 'getOwnPropertySymbols', 'preventExtensions', 'isExtensible'],
  Number: ['isInteger', 'isFinite', 'isNaN', 'isSafeInteger', 'EPSILON'],
  Math: ['trunc', 'log2', 'log10', 'hypot', 'clz32', 'imul', 'fround', 'cbrt', 'expm1', 'log1p', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh'],
  Promise: ['race', 'allSettled', 'any'],
  Date: ['UTC'],
  String: ['raw', 'fromCodePoint'],
};

/** `X.prototype.Y` look-ups that are undefined on the device (the instance forms work). */
const MISSING_PROTO: Record<string, string[]> = {
  Array: ['slice'],
  Function: ['call'],
  String: ['split'],
};

/** Instance methods Espruino lacks; flagged when called as `.name(`. */
const MISSING_METHODS = ['at', 'flat', 'flatMap', 'lastIndexOf', 'trimStart', 'trimEnd', 'matchAll', 'codePointAt', 'finally', 'findLast', 'findLastIndex', 'replaceAll', 'toSorted', 'toReversed'];

const ERROR_CLASSES = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'InternalError', 'AggregateError'];

const FUNCTION_TYPES = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'];

function isNode(x: unknown): x is N {
  return typeof x === 'object' && x !== null && typeof (x as N).type === 'string';
}

function children(n: N): N[] {
  const out: N[] = [];
  for (const k of Object.keys(n)) {
    if (k === 'loc' || k === 'type') continue;
    const v = n[k];
    if (Array.isArray(v)) for (const c of v) { if (isNode(c)) out.push(c); }
    else if (isNode(v)) out.push(v);
  }
  return out;
}

function walk(n: N, visit: (n: N, parent: N | null) => void, parent: N | null = null): void {
  visit(n, parent);
  for (const c of children(n)) walk(c, visit, n);
}

/** Regex features Espruino's engine fails on, quietly (docs/device-subset.md "Semantics that differ without an error"; src/jswrap_regexp.c in
 * github.com/espruino/Espruino). */
function regexProblems(pattern: string, flags: string): string[] {
  const out: string[] = [];
  for (const f of flags) if ('suyvd'.includes(f)) out.push(`flag '${f}'`);
  if (/\(\?[=!]/.test(pattern)) out.push('lookahead');
  if (/\(\?<[=!]/.test(pattern)) out.push('lookbehind');
  if (/\(\?<[A-Za-z_$]/.test(pattern)) out.push('named group');
  if (/\(\?:/.test(pattern)) out.push('non-capturing group (?:)');
  if (/(^|[^\\])\{\d+(,\d*)?\}/.test(pattern)) out.push('{n} quantifier');
  if (/(^|[^\\])\\b/.test(pattern)) out.push('\\b');
  if (/\\u\{/.test(pattern)) out.push('\\u{…}');
  return out;
}

export function checkSubset(code: string): Violation[] {
  const out: Violation[] = [];
  let ast: N;
  try {
    ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowReturnOutsideFunction: false }) as unknown as N;
  } catch (e) {
    const err = e as { loc?: { line: number; column: number }; message: string };
    return [{ line: err.loc?.line ?? 0, column: (err.loc?.column ?? 0) + 1, construct: 'parse error', message: err.message, snippet: '' }];
  }
  const lines = code.split('\n');
  const report = (n: N, construct: string, message: string): void => {
    const line = n.loc?.start.line ?? 0;
    const column = (n.loc?.start.column ?? 0) + 1;
    const src = lines[line - 1] ?? '';
    const from = Math.max(0, column - 1 - 30);
    out.push({ line, column, construct, message, snippet: src.slice(from, column - 1 + 50) });
  };

  // Every name declared anywhere: a bundle that defines its own `Set` is not using the missing global.
  const declared = new Set<string>();
  const addPattern = (p: unknown): void => {
    if (!isNode(p)) return;
    if (p.type === 'Identifier') declared.add(p.name as string);
    else for (const c of children(p)) if (c.type !== 'MemberExpression') addPattern(c);
  };
  walk(ast, (n) => {
    if (n.type === 'VariableDeclarator') addPattern(n.id);
    else if (FUNCTION_TYPES.includes(n.type)) {
      if (isNode(n.id)) declared.add(n.id.name as string);
      for (const p of n.params as N[]) addPattern(p);
    } else if ((n.type === 'ClassDeclaration' || n.type === 'ClassExpression') && isNode(n.id)) declared.add(n.id.name as string);
    else if (n.type === 'CatchClause') addPattern(n.param);
  });

  walk(ast, (n, parent) => {
    switch (n.type) {
      case 'ObjectPattern':
      case 'ArrayPattern':
        report(n, 'destructuring', 'destructuring is a syntax error on Espruino');
        break;
      case 'AssignmentPattern':
        report(n, 'default parameter', 'default values in parameters/patterns are a syntax error on Espruino');
        break;
      case 'RestElement':
        report(n, 'rest parameter', 'rest parameters are a syntax error on Espruino');
        break;
      case 'SpreadElement':
        report(n, 'spread', 'spread (...) is a syntax error on Espruino');
        break;
      case 'AwaitExpression':
        report(n, 'await', 'async/await is not supported (not even a keyword)');
        break;
      case 'YieldExpression':
        report(n, 'yield', 'generators are not supported');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (n.async) report(n, 'async function', 'async functions are not supported');
        if (n.generator) report(n, 'generator', 'generator functions are not supported');
        break;
      case 'ChainExpression':
        report(n, 'optional chaining ?.', '?. is a syntax error on Espruino');
        break;
      case 'BinaryExpression':
        if (n.operator === '**') report(n, '** operator', '** is a syntax error on Espruino (use Math.pow)');
        break;
      case 'AssignmentExpression':
        if (['**=', '||=', '&&=', '??='].includes(n.operator as string)) report(n, `${n.operator as string} operator`, `${n.operator as string} is a syntax error on Espruino`);
        break;
      case 'LabeledStatement':
        report(n, 'label', 'labelled statements are a syntax error on Espruino');
        break;
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (n.computed) report(n, 'computed key', 'computed keys {[k]: v} are a syntax error on Espruino');
        if (isNode(n.key) && n.key.type === 'PrivateIdentifier') report(n, '#private', '#private members are not supported');
        break;
      case 'StaticBlock':
        report(n, 'static block', 'class static blocks are not supported');
        break;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        const sup = n.superClass;
        if (isNode(sup)) {
          if (sup.type !== 'Identifier') report(n, 'extends expression', 'class extends must name a plain class on Espruino');
          else if (ERROR_CLASSES.includes(sup.name as string)) report(n, `extends ${sup.name as string}`, 'subclassing Error does not work on Espruino (use numeric status codes)');
        }
        break;
      }
      case 'MetaProperty':
        report(n, `${(n.meta as N).name as string}.${(n.property as N).name as string}`, 'meta properties are not supported');
        break;
      case 'TaggedTemplateExpression':
        report(n, 'tagged template', 'tagged templates are not supported');
        break;
      case 'ImportExpression':
      case 'ImportDeclaration':
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration':
        report(n, 'module syntax', 'bundle must be a plain script (iife)');
        break;
      case 'Literal': {
        if (n.bigint !== undefined) report(n, 'BigInt literal', 'BigInt is not supported');
        const re = n.regex as { pattern: string; flags: string } | undefined;
        if (re) for (const p of regexProblems(re.pattern, re.flags)) report(n, `regex ${p}`, `Espruino's regex engine does not support ${p} (fails quietly)`);
        if (typeof n.raw === 'string' && /\\u\{/.test(n.raw) && !re) report(n, '\\u{…} escape', 'code point escapes are a syntax error on Espruino');
        break;
      }
      case 'TemplateElement': {
        const raw = (n.value as { raw: string }).raw;
        if (/\\u\{/.test(raw)) report(n, '\\u{…} escape', 'code point escapes are a syntax error on Espruino');
        break;
      }
      case 'Identifier': {
        const name = n.name as string;
        if (name === 'of' && isBinding(n, parent)) report(n, "identifier 'of'", "a variable named 'of' is rejected by Espruino's parser (minifier artefact)");
        if (MISSING_GLOBALS.includes(name) && !declared.has(name) && isReference(n, parent)) report(n, name, `${name} does not exist on Espruino`);
        break;
      }
      case 'NewExpression':
      case 'CallExpression': {
        const c = n.callee as N;
        if (c.type === 'Identifier' && c.name === 'RegExp' && !declared.has('RegExp')) report(n, 'RegExp()', 'dynamic regexes are unreliable on Espruino');
        if (n.type === 'CallExpression' && c.type === 'MemberExpression' && !c.computed && MISSING_METHODS.includes((c.property as N).name as string)) {
          const m = (c.property as N).name as string;
          report(c.property as N, `.${m}()`, `${m}() is missing on Espruino${m === 'lastIndexOf' ? ' for arrays' : ''}`);
        }
        break;
      }
      case 'MemberExpression': {
        if (n.computed) break;
        const obj = n.object as N;
        const prop = (n.property as N).name as string;
        if (obj.type === 'Identifier' && !declared.has(obj.name as string)) {
          const list = MISSING_STATICS[obj.name as string];
          if (list && list.includes(prop)) report(n, `${obj.name as string}.${prop}`, `${obj.name as string}.${prop} does not exist on Espruino`);
        }
        if (obj.type === 'MemberExpression' && !obj.computed && (obj.property as N).name === 'prototype' && (obj.object as N).type === 'Identifier') {
          const base = (obj.object as N).name as string;
          const list = MISSING_PROTO[base];
          if (list && list.includes(prop)) report(n, `${base}.prototype.${prop}`, `static look-up ${base}.prototype.${prop} is undefined on Espruino (use the instance form, e.g. [].slice.call)`);
        }
        break;
      }
      default:
        break;
    }
  });

  checkUseBeforeDefine(ast, report);
  checkLoopClosures(ast, report);
  out.sort((a, b) => a.line - b.line || a.column - b.column);
  return out;
}

/** Is this Identifier a value reference (not a property key, member name or label)? */
function isReference(n: N, parent: N | null): boolean {
  if (!parent) return true;
  if (parent.type === 'MemberExpression' && parent.property === n && !parent.computed) return false;
  if ((parent.type === 'Property' || parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') && parent.key === n && !parent.computed) {
    return parent.type === 'Property' && parent.shorthand === true;
  }
  if (parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement') return false;
  if (parent.type === 'VariableDeclarator' && parent.id === n) return false;
  if (FUNCTION_TYPES.includes(parent.type) && parent.id === n) return false;
  return true;
}

function isBinding(n: N, parent: N | null): boolean {
  if (!parent) return false;
  if (parent.type === 'VariableDeclarator' && parent.id === n) return true;
  if (FUNCTION_TYPES.includes(parent.type) && (parent.id === n || (parent.params as N[]).includes(n))) return true;
  if ((parent.type === 'ClassDeclaration' || parent.type === 'ClassExpression') && parent.id === n) return true;
  if (parent.type === 'CatchClause' && parent.param === n) return true;
  return false;
}

/**
 * Espruino does not hoist function declarations: calling one before its declaration statement has
 * run is a ReferenceError (docs/device-subset.md). For each statement list, a reference evaluated eagerly
 * (outside any nested function body) in statement i to a function declared at statement j > i is
 * reported. References inside nested functions are assumed to run later (not provable statically).
 */
function checkUseBeforeDefine(ast: N, report: (n: N, c: string, m: string) => void): void {
  const lists: N[][] = [];
  walk(ast, (n) => {
    if (n.type === 'Program' || n.type === 'BlockStatement' || n.type === 'StaticBlock') lists.push(n.body as N[]);
    else if (n.type === 'SwitchCase') lists.push(n.consequent as N[]);
  });
  for (const body of lists) {
    const declaredAt = new Map<string, number>();
    body.forEach((s, i) => {
      if (s.type === 'FunctionDeclaration' && isNode(s.id)) declaredAt.set(s.id.name as string, i);
    });
    if (!declaredAt.size) continue;
    body.forEach((s, i) => {
      eagerIdentifiers(s, (id, parent) => {
        const j = declaredAt.get(id.name as string);
        if (j !== undefined && j > i && isReference(id, parent)) {
          report(id, 'use before define', `function ${id.name as string} is used before its declaration (Espruino does not hoist functions)`);
        }
      });
    });
  }
}

/** Visit identifiers evaluated when statement s runs: skips nested function bodies and nested blocks' own lists. */
function eagerIdentifiers(s: N, visit: (id: N, parent: N | null) => void): void {
  const go = (n: N, parent: N | null): void => {
    if (n.type === 'Identifier') { visit(n, parent); return; }
    if (FUNCTION_TYPES.includes(n.type) || n.type === 'ClassBody') return;
    for (const c of children(n)) go(c, n);
  };
  if (s.type === 'FunctionDeclaration') return;
  go(s, null);
}

/**
 * Espruino gives `for (let …)` no per-iteration binding (docs/device-subset.md): a closure created in the
 * loop that reads the loop variable sees its last value, not the iteration's. Reported when a
 * function inside the loop (head or body) references a let/const declared in the loop head.
 * Name-based (shadowing inside the closure is not tracked): a false positive is renamed away.
 */
function checkLoopClosures(ast: N, report: (n: N, c: string, m: string) => void): void {
  walk(ast, (n) => {
    if (n.type !== 'ForStatement' && n.type !== 'ForOfStatement' && n.type !== 'ForInStatement') return;
    const decl = (n.type === 'ForStatement' ? n.init : n.left) as N | null;
    if (!isNode(decl) || decl.type !== 'VariableDeclaration' || decl.kind === 'var') return;
    const names = new Set<string>();
    for (const d of decl.declarations as N[]) if (isNode(d.id) && d.id.type === 'Identifier') names.add(d.id.name as string);
    if (!names.size) return;
    const body = n.body as N;
    walk(body, (f) => {
      if (!FUNCTION_TYPES.includes(f.type)) return;
      walk(f, (id, parent) => {
        if (id.type === 'Identifier' && names.has(id.name as string) && isReference(id, parent) && !(f.params as N[]).includes(id)) {
          report(id, 'closure over for-let variable', `'${id.name as string}' is captured by a closure inside its for loop; Espruino has no per-iteration binding, so every closure sees the last value`);
        }
      });
    });
  });
}

/** Human-readable report, one line per violation: `file:line:col construct: message` + snippet. */
export function formatViolations(file: string, vs: Violation[]): string {
  return vs.map((v) => `${file}:${v.line}:${v.column} ${v.construct}: ${v.message}\n    ${v.snippet.trim()}`).join('\n');
}
