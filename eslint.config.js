// Lint for homie-ota: typescript-eslint with type information, the layer rules as import rules, size limits and the
// two React hook rules. `npm run lint` runs it (and the import-cycle check); .ci/run calls it.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** The engine knows nothing of the dashboard: no UI, no store, no Ink, no React. */
const engineLayer = {
  patterns: [
    {group: ['**/ui/**', '**/store/**', '**/headless/**', '**/demo/**'], message: 'the engine knows nothing of the dashboard or the headless printer; emit an event on the bus instead'},
    {group: ['ink', 'ink-*', 'react', 'react/*', '@inkjs/*'], message: 'the engine does not render; put terminal code in src/ui'},
  ],
};

/**
 * Views read the store and act through the dashboard's actions; from the engine they may import types
 * and its pure helpers (text, versions, job arithmetic, the update plan, filters), never a service.
 */
const viewLayer = {
  patterns: [
    {
      regex: '(^|/)engine/(?!util/|ota/job\\.js$|ota/plan\\.js$|ota/rollout-counts\\.js$|inventory/filter\\.js$|(create-)?engine\\.js$)',
      allowTypeImports: true,
      message: 'views read the store and act through DashboardActions; import engine types with `import type`, or a pure helper from engine/util',
    },
    {regex: '(^|/)engine/(create-)?engine\\.js$', message: 'views never see the Engine: read the store, act through DashboardActions'},
  ],
};

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname},
    },
    plugins: {'react-hooks': reactHooks},
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', {checksVoidReturn: {arguments: false, attributes: false}}],
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
      '@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports', disallowTypeAnnotations: false}],
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-constant-condition': ['error', {checkLoops: false}],
      // homie-ota matches control characters on purpose: it escapes them before anything reaches a terminal
      'no-control-regex': 'off',
    },
  },
  // small enough to read: no source file over 400 lines, no function over 80
  {files: ['src/**'], rules: {'max-lines': ['error', {max: 400}], 'max-lines-per-function': ['error', {max: 80}]}},
  {files: ['src/engine/**'], rules: {'@typescript-eslint/no-restricted-imports': ['error', engineLayer]}},
  {files: ['src/ui/views/**', 'src/ui/components/**'], rules: {'@typescript-eslint/no-restricted-imports': ['error', viewLayer]}},
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: {'@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off'},
  },
  {files: ['**/*.js'], ...tseslint.configs.disableTypeChecked},
);
