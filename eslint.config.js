// ESLint flat config. Device code (shared/**, firmware/src/**) runs on Espruino: the rules below
// encode the subset in docs/device-subset.md so a violation is caught in the editor, before
// esbuild's refusal or the post-bundle checker (firmware/build/subset.ts) would catch it.
// Everything else is Node code: typescript-eslint's recommended rules, kept lenient.
import tseslint from 'typescript-eslint';

const DEVICE_FILES = ['shared/**/*.ts', 'firmware/src/**/*.ts'];

const deviceSyntax = [
  { selector: 'ObjectPattern', message: 'Espruino: no destructuring.' },
  { selector: 'ArrayPattern', message: 'Espruino: no destructuring.' },
  { selector: 'AssignmentPattern', message: 'Espruino: no default parameters.' },
  { selector: 'RestElement', message: 'Espruino: no rest parameters.' },
  { selector: 'SpreadElement', message: 'Espruino: no spread.' },
  { selector: ':function[async=true]', message: 'Espruino: no async functions.' },
  { selector: 'AwaitExpression', message: 'Espruino: no await.' },
  { selector: ':function[generator=true]', message: 'Espruino: no generators.' },
  { selector: 'PrivateIdentifier', message: 'Espruino: no #private (lowers to WeakMap).' },
  { selector: 'LabeledStatement', message: 'Espruino: no labelled statements.' },
  { selector: 'ChainExpression', message: 'Espruino: no optional chaining ?.' },
  { selector: "BinaryExpression[operator='**']", message: 'Espruino: no ** (use Math.pow).' },
  { selector: "AssignmentExpression[operator=/^(\\*\\*|\\|\\||&&|\\?\\?)=$/]", message: 'Espruino: no **=, ||=, &&=, ??=.' },
  { selector: 'Property[computed=true]', message: 'Espruino: no computed keys.' },
  { selector: 'MethodDefinition[computed=true]', message: 'Espruino: no computed keys.' },
  { selector: 'PropertyDefinition[computed=true]', message: 'Espruino: no computed keys.' },
  { selector: 'Literal[regex]', message: 'Espruino: its regex engine is weak; do not parse with regexes on the device.' },
  { selector: "NewExpression[callee.name='RegExp']", message: 'Espruino: no regexes on the device.' },
  { selector: 'TaggedTemplateExpression', message: 'Espruino: no tagged templates.' },
  { selector: 'MetaProperty', message: 'Espruino: no new.target / import.meta.' },
  { selector: "ClassDeclaration[superClass.name=/Error$/]", message: 'Espruino: class extends Error does not work; use numeric status codes.' },
  { selector: "ClassDeclaration[superClass.type!='Identifier'][superClass]", message: 'Espruino: extends must name a plain class.' },
  { selector: 'TSEnumDeclaration', message: 'Use plain `export const` constants (esbuild inlines them), not enums.' },
  { selector: "ImportDeclaration[source.value=/^node:/]", message: 'Device code cannot import Node modules.' },
  { selector: "MemberExpression[object.name='Array'][property.name=/^(from|of)$/]", message: 'Espruino: no Array.from/of.' },
  { selector: "MemberExpression[object.name='Object'][property.name=/^(freeze|seal|is)$/]", message: 'Espruino: no Object.freeze/seal/is.' },
  { selector: "MemberExpression[object.name='Number'][property.name=/^(isInteger|isFinite|isNaN|EPSILON)$/]", message: 'Espruino: no Number.isInteger/isFinite/isNaN/EPSILON.' },
  { selector: "MemberExpression[object.name='Math'][property.name=/^(trunc|log2|log10|hypot|clz32|imul|fround)$/]", message: 'Espruino: this Math function is missing.' },
  { selector: "MemberExpression[object.name='Promise'][property.name=/^(race|allSettled|any)$/]", message: 'Espruino: only Promise then/catch/all/resolve/reject.' },
];

const deviceGlobals = ['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'BigInt'].map((name) => ({
  name,
  message: `Espruino has no ${name}.`,
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.kerb/**', '**/*.js', '!eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Node-side code: lenient where strict TypeScript already checks.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-control-regex': 'off',
    },
  },
  {
    files: DEVICE_FILES,
    rules: {
      'no-restricted-syntax': ['error', ...deviceSyntax],
      'no-restricted-globals': ['error', ...deviceGlobals],
      // Espruino does not hoist function declarations (docs/device-subset.md): functions too.
      'no-use-before-define': 'off',
      '@typescript-eslint/no-use-before-define': ['error', { functions: true, classes: true, variables: true, typedefs: false, ignoreTypeReferences: true }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
);
