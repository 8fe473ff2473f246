// Exports Camunda 8.8's Orchestration Cluster REST API (`/v2`) as the tests read it: every operation with its
// method, path, documented status codes and the JSON Schema of each documented response body.
//
// The source is the pinned npm package @camunda8/orchestration-cluster-api (8.8.x), Camunda's own client,
// generated from the 8.8 OpenAPI spec (rest-api.yaml) by @hey-api/openapi-ts. The package ships that
// generation's sources in its source maps: `src/gen/sdk.gen.ts` (one function per operation: method and URL),
// `src/gen/types.gen.ts` (per operation the documented responses and errors by status code) and
// `src/gen/zod.gen.ts` (a Zod schema per response, which its strict response validation uses). This script
// compiles zod.gen.ts with esbuild, asks Zod for the JSON Schema of every response and writes one JSON document
// to stdout. Nothing of the package is copied into the repository: it is read where npm installed it.
//
// Usage: node export_schemas.mjs <repository root>

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? process.cwd());
const packageDir = join(root, 'node_modules', '@camunda8', 'orchestration-cluster-api');
const packageJson = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
if (!packageJson.version.startsWith('8.8.')) {
  throw new Error(`expected @camunda8/orchestration-cluster-api 8.8.x, found ${packageJson.version}`);
}

// the generated sources, from whichever source map of dist/ carries them
const sources = {};
const distDir = join(packageDir, 'dist');
for (const name of readdirSync(distDir)) {
  if (!name.endsWith('.js.map')) continue;
  const map = JSON.parse(readFileSync(join(distDir, name), 'utf8'));
  map.sources.forEach((source, index) => {
    const content = map.sourcesContent?.[index];
    if (content && source.includes('src/gen/')) sources[source.replace(/^.*src\/gen\//, '')] = content;
  });
}
for (const needed of ['sdk.gen.ts', 'types.gen.ts', 'zod.gen.ts']) {
  if (!sources[needed]) throw new Error(`the package's source maps lack src/gen/${needed}`);
}

// operations: `export const getTopology = <…>(options…) => { return (…).get<GetTopologyResponses, …>({ … url: '/topology'`
const operations = {};
const operationPattern =
  /export const (\w+) = <ThrowOnError[^]*?\.(get|post|put|patch|delete)<(\w+)Responses, (\w+)Errors[^]*?url: '([^']+)'/g;
for (const [, id, method, typeName] of sources['sdk.gen.ts'].matchAll(operationPattern)) {
  operations[id] = { method: method.toUpperCase(), typeName };
}
for (const [, id, , , , path] of sources['sdk.gen.ts'].matchAll(operationPattern)) operations[id].path = path;

// documented status codes: `export type GetTopologyResponses = { 200: TopologyResponse; };` and `…Errors = {…}`
function statusCodes(typeName) {
  const block = sources['types.gen.ts'].match(new RegExp(`export type ${typeName} = \\{([^]*?)\\n\\};`));
  if (!block) return {};
  const codes = {};
  for (const [, code, type] of block[1].matchAll(/^\s{4}(\d{3}|default): ([^;]+);/gm)) codes[code] = type.trim();
  return codes;
}

// the Zod schemas, compiled where `zod` resolves (node_modules/.cache), then imported
const require = createRequire(join(root, 'package.json'));
const esbuild = require('esbuild');
const zodSource = sources['zod.gen.ts'].replace(/^import \{ __zodAugmentApplied \}.*$/m, '').replace(
  /^void __zodAugmentApplied.*$/m,
  '',
);
const compiled = esbuild.transformSync(zodSource, { loader: 'ts', format: 'esm', target: 'es2022' }).code;
const cacheDir = join(root, 'node_modules', '.cache', 'pbj-openapi');
mkdirSync(cacheDir, { recursive: true });
const modulePath = join(cacheDir, `zod.gen.${packageJson.version}.${process.pid}.mjs`);
writeFileSync(modulePath + '.tmp', compiled);
renameSync(modulePath + '.tmp', modulePath);
const schemas = await import(pathToFileURL(modulePath).href);
unlinkSync(modulePath);
const { z } = await import(pathToFileURL(require.resolve('zod')).href);

// A response is what Zod parses, so its JSON Schema is the schema's input side; an object accepts only the
// properties the spec names (the client's "fanatical" validation: Zod's own objects would strip the others)
function jsonSchema(schema) {
  return mergeAllOf(
    z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
      target: 'draft-2020-12',
      override: (ctx) => {
        const def = ctx.zodSchema._zod.def;
        if (def.type === 'bigint') {
          // int64 counts (`totalItems`) are JSON integers; Zod's coerce.bigint has no JSON Schema of its own
          for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
          ctx.jsonSchema.type = 'integer';
        }
        if (def.type === 'object' && def.catchall === undefined) ctx.jsonSchema.additionalProperties = false;
      },
    }),
  );
}

// `A.and(B)` of two objects is `allOf: [A, B]`, which closed objects cannot both satisfy: one object with the
// properties and required names of both (recursively)
function mergeAllOf(node) {
  if (Array.isArray(node)) return node.map(mergeAllOf);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) out[key] = mergeAllOf(value);
  if (Array.isArray(out.allOf) && out.allOf.every((part) => part.type === 'object' && !part.allOf)) {
    const parts = out.allOf;
    delete out.allOf;
    out.type = 'object';
    out.properties = Object.assign({}, ...parts.map((part) => part.properties ?? {}));
    out.required = [...new Set(parts.flatMap((part) => part.required ?? []))];
    if (parts.every((part) => part.additionalProperties === false)) out.additionalProperties = false;
  }
  return out;
}

const out = { package: `${packageJson.name}@${packageJson.version}`, operations: {}, problemDetail: null };
for (const [id, { method, path, typeName }] of Object.entries(operations)) {
  const responses = statusCodes(`${typeName}Responses`);
  const errors = statusCodes(`${typeName}Errors`);
  const zodName = `z${id[0].toUpperCase()}${id.slice(1)}Response`;
  const success = schemas[zodName];
  const entry = { method, path, responses: {}, errors: Object.keys(errors).sort(), request: null };
  const data = schemas[`z${id[0].toUpperCase()}${id.slice(1)}Data`];
  const body = data?._zod.def.shape?.body;
  if (body && id !== 'createDeployment') entry.request = jsonSchema(body);
  for (const [code, type] of Object.entries(responses)) {
    entry.responses[code] = type === 'void' || !success ? null : jsonSchema(success);
  }
  out.operations[id] = entry;
}
out.problemDetail = jsonSchema(schemas.zProblemDetail);
process.stdout.write(JSON.stringify(out));
