import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The dependency direction of house-style.md, checked over the import statements:
 * contracts ← store ← ingest, alerts, api; contracts ← broker, simulators; the dashboard
 * imports contract types only; app (the composition root) may import anything.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Layer = 'contracts' | 'observability' | 'store' | 'ingest' | 'alerts' | 'broker' | 'api' | 'simulators' | 'dashboard/src' | 'app';

interface Rule {
  /** Other layers this one may import (its own files are always allowed). `'*'`: anything. */
  may: readonly Layer[] | '*';
  /** Only `import type` / `export type` of those layers: nothing of them reaches the bundle. */
  typeOnly?: boolean;
}

const RULES: Readonly<Record<Layer, Rule>> = {
  contracts: { may: [] },
  observability: { may: [] },
  store: { may: ['contracts'] },
  ingest: { may: ['contracts', 'store', 'observability'] },
  alerts: { may: ['contracts', 'store', 'observability'] },
  broker: { may: ['contracts', 'observability'] },
  api: { may: ['contracts', 'store', 'observability'] },
  simulators: { may: ['contracts'] },
  'dashboard/src': { may: ['contracts'], typeOnly: true },
  app: { may: '*' },
};
const LAYERS = Object.keys(RULES) as Layer[];

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
  line: number;
  text: string;
}

/** Every module a source file refers to: imports, re-exports, `import()` calls and `import('x')` types. */
function importsOf(fileName: string, source: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    refs.push({
      specifier: specifier.text,
      typeOnly,
      line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
      text: node.getText(sf).replace(/\s+/g, ' ').slice(0, 160),
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ?? false);
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, true);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/** The layer a repository path belongs to, or the top folder name for anything else of ours. */
function layerOf(pathFromRoot: string): string {
  const parts = pathFromRoot.split(sep);
  if (parts[0] === 'dashboard' && parts[1] === 'src') return 'dashboard/src';
  return parts.length > 1 ? parts[0]! : '(repository root)';
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts|cts)$/.test(entry.name)) out.push(path);
  }
  return out;
}

interface Violation {
  file: string;
  message: string;
}

/** Checks one file's imports against its layer's rule. */
function violationsOf(fileFromRoot: string, source: string): Violation[] {
  const layer = layerOf(fileFromRoot) as Layer;
  const rule = RULES[layer];
  const violations: Violation[] = [];
  for (const ref of importsOf(fileFromRoot, source)) {
    if (!ref.specifier.startsWith('.')) continue; // a package or a node: built-in, not ours
    const target = relative(ROOT, resolve(ROOT, dirname(fileFromRoot), ref.specifier));
    const targetLayer = target.startsWith('..') ? '(outside the repository)' : layerOf(target);
    if (targetLayer === layer || rule.may === '*') continue;
    const where = `${fileFromRoot}:${ref.line}: ${ref.text}`;
    if (!(rule.may as readonly string[]).includes(targetLayer)) {
      const allowed = rule.may.length ? rule.may.join(', ') : 'nothing of ours';
      violations.push({ file: fileFromRoot, message: `${where}\n    ${layer} imports ${targetLayer}; ${layer} may import ${allowed}` });
    } else if (rule.typeOnly && !ref.typeOnly) {
      violations.push({ file: fileFromRoot, message: `${where}\n    ${layer} may import ${targetLayer} with \`import type\` only` });
    }
  }
  return violations;
}

describe('dependency direction', () => {
  it('finds every kind of import statement', () => {
    const refs = importsOf(
      'x.ts',
      [
        "import { a } from '../store/index.js';",
        "import type { B } from '../contracts/index.js';",
        'import {',
        '  c,',
        "} from './local.js';",
        "export * from '../ingest/ingest.js';",
        "export type { D } from '../api/app.js';",
        "import '../broker/broker.js';",
        "const m = await import('../app/main.js');",
        "type E = import('../observability/logger.js').Logger;",
        "// import { z } from '../commented/out.js';",
        "const s = \"import { y } from '../in/a/string.js'\";",
      ].join('\n'),
    );
    expect(refs.map((r) => [r.specifier, r.typeOnly])).toEqual([
      ['../store/index.js', false],
      ['../contracts/index.js', true],
      ['./local.js', false],
      ['../ingest/ingest.js', false],
      ['../api/app.js', true],
      ['../broker/broker.js', false],
      ['../app/main.js', false],
      ['../observability/logger.js', true],
    ]);
  });

  it('reports a forbidden import with its file and statement', () => {
    expect(violationsOf(join('api', 'routes', 'x.ts'), "import { Ingest } from '../../ingest/ingest.js';")[0]?.message).toMatch(
      /api\/routes\/x\.ts:1: import \{ Ingest \} from '\.\.\/\.\.\/ingest\/ingest\.js';\n.*api imports ingest/,
    );
    expect(violationsOf(join('dashboard', 'src', 'x.ts'), "import { deviceTopic } from '../../contracts/index.js';")).toHaveLength(1);
    expect(violationsOf(join('dashboard', 'src', 'x.ts'), "import type { Device } from '../../contracts/index.js';")).toEqual([]);
    expect(violationsOf(join('contracts', 'x.ts'), "import type { Store } from '../store/index.js';")).toHaveLength(1);
    expect(violationsOf(join('app', 'x.ts'), "import { Ingest } from '../ingest/ingest.js';")).toEqual([]);
  });

  it('holds for every source file', () => {
    const files = LAYERS.flatMap((layer) => sourceFiles(join(ROOT, layer)));
    // Guard against a scan that silently finds nothing.
    for (const layer of ['contracts', 'store', 'ingest', 'broker', 'api', 'app'] as const) {
      expect(files.some((f) => layerOf(relative(ROOT, f)) === layer), `no files found in ${layer}`).toBe(true);
    }
    const violations = files.flatMap((file) => violationsOf(relative(ROOT, file), readFileSync(file, 'utf8')));
    expect(violations.map((v) => v.message), `imports against the dependency direction:\n${violations.map((v) => v.message).join('\n')}`).toEqual([]);
  });
});
