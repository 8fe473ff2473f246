// The FEEL bundle's entry point: bpmn.io's `feelin` wrapped for the Python evaluator
// (engine/feel/evaluator.py), which runs it in V8 through mini-racer.
//
// Built by the Makefile (esbuild, IIFE, es2020) into engine/feel/dist/feelin.js; the bundle is
// build output and never committed. Everything the Python side uses hangs off one global,
// `globalThis.__pbjFeel`:
//
//   __pbjFeel.evaluate(expression, contextJson, epochMicros, zone, fallbackZone) -> string (JSON)
//     {"ok": true, "value": <converted value>, "warnings": ["TYPE: message", ...]}
//     {"ok": false, "kind": "syntax" | "unstorable" | "internal", "reason": "..."}
//   __pbjFeel.unaryTests(inputExpression, testsJson, contextJson, epochMicros, zone, fallbackZone) -> string
//     the unary tests of a DMN decision table's input column against the input expression's value:
//     {"ok": true, "input": {"value": <converted>, "warnings": [...]},
//      "tests": [{"ok": true, "value": true | false | null, "warnings": [...]} | {"ok": false, ...}]}
//     {"ok": false, ...} when the input expression itself fails
//   __pbjFeel.check(expression) -> string (JSON) | null
//     whether it parses, without running it: {"ok": true} or a failure as above; null if it cannot tell
//   __pbjFeel.checkUnaryTests(testsJson) -> string (JSON)
//     whether each unary test of a DMN input column parses, without running any: [{"ok": true} | failure, ...]
//   __pbjFeel.cacheSize() / clearCache() / cachingEnabled() / setCaching(enabled)
//
// Three things happen here beyond calling feelin:
//
// 1. The clock. FEEL's now() and today() read Temporal.Now (V8 14 has a native Temporal, which
//    temporal-polyfill then uses as is, so patching Date.now alone would not do). While an
//    evaluation runs, Temporal.Now and Date.now answer the engine's clock: the instant and zone
//    passed with each call.
//
// 2. Caching compiled expressions. feelin 8 compiles an expression in two steps, a lezer parse and
//    an "execution tree" of closures built from it, and then calls the tree with the context. Its
//    public `evaluate()` redoes both steps on every call, and the steps are not exported. We reach
//    the compiled closure through a seam in its internals: while compiling, the lezer parser's
//    `configure().parse()` is wrapped so that the tree handed to feelin's builder is the real parse
//    tree nested inside a synthetic `NamedParameter` node (plus a `Wildcard` sibling). feelin builds
//    a NamedParameter as `ctx => [args[0], args[1](ctx)]`, so evaluating that synthetic tree returns
//    the real expression's compiled closure instead of calling it. The warnings array returned with
//    that compile run is the very array the closure reports its warnings into (feelin's
//    InterpreterContext hands out its own array), so a cached run empties it, calls the closure
//    and reads it. A self-test at start-up compares the cached path with plain `evaluate()` and
//    turns caching off if feelin's internals ever change shape (tests/engine/feel then fails on
//    `caching_active()`, so an upgrade of feelin cannot lose the cache silently).
//
//    The lezer parse depends on the context, not only on the text: with a variable named `order-id`
//    or `total amount` the tokenizer reads `order-id` as one name instead of a subtraction, and a
//    variable named like a keyword (`list`, `context`) is read as a name, not as the keyword.
//    The cache key is therefore the expression plus every such "non-plain" key found anywhere in
//    the context whose first word occurs in the expression. Plain identifier keys (the usual
//    Zeebe variables) cannot change a parse and are left out, so the key is usually just the text.
//
// 3. Result conversion to JSON-compatible values: FEEL date / time / date and time / duration
//    become their ISO strings as FEEL prints them; ranges and functions cannot be stored as
//    variables and are reported as "unstorable"; non-finite numbers become null with a warning.

import {
  evaluate as feelEvaluate, isFunction, isRange, parseUnaryTests, SyntaxError as FeelSyntaxError,
  unaryTest as feelUnaryTest
} from 'feelin';
import { parser } from 'lezer-feel';
import { Temporal } from 'temporal-polyfill';

// ---------------------------------------------------------------------------------------------
// 1. the engine clock

let clock = null; // { epochMicros: number, zone: string } while an evaluation runs

const realDateNow = Date.now;
const now = Temporal.Now;
const realNow = {
  instant: now.instant,
  timeZoneId: now.timeZoneId,
  zonedDateTimeISO: now.zonedDateTimeISO,
  plainDateTimeISO: now.plainDateTimeISO,
  plainDateISO: now.plainDateISO,
  plainTimeISO: now.plainTimeISO
};

function clockZone(zone) {
  return zone === undefined ? now.timeZoneId() : zone;
}

Date.now = function () {
  return clock === null ? realDateNow.call(Date) : Math.floor(clock.epochMicros / 1000);
};
now.instant = function () {
  if (clock === null) {
    return realNow.instant.call(now);
  }
  return Temporal.Instant.fromEpochNanoseconds(BigInt(clock.epochMicros) * BigInt(1000));
};
now.timeZoneId = function () {
  return clock === null ? realNow.timeZoneId.call(now) : clock.zone;
};
now.zonedDateTimeISO = function (zone) {
  if (clock === null) {
    return realNow.zonedDateTimeISO.call(now, zone);
  }
  return now.instant().toZonedDateTimeISO(clockZone(zone));
};
now.plainDateTimeISO = function (zone) {
  return clock === null ? realNow.plainDateTimeISO.call(now, zone) : now.zonedDateTimeISO(zone).toPlainDateTime();
};
now.plainDateISO = function (zone) {
  return clock === null ? realNow.plainDateISO.call(now, zone) : now.zonedDateTimeISO(zone).toPlainDate();
};
now.plainTimeISO = function (zone) {
  return clock === null ? realNow.plainTimeISO.call(now, zone) : now.zonedDateTimeISO(zone).toPlainTime();
};

// Zones are validated once each. The Python side passes the IANA name it got from zoneinfo (which
// this V8's ICU data may not know) plus the fixed offset of the instant as a fallback.
const validZones = new Map();

function checkZone(zone) {
  let valid = validZones.get(zone);
  if (valid === undefined) {
    try {
      Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(zone);
      valid = true;
    } catch (_error) {
      valid = false;
    }
    validZones.set(zone, valid);
  }
  return valid;
}

// ---------------------------------------------------------------------------------------------
// 2. compiled-expression cache

const CACHE_LIMIT = 2000;
const cache = new Map(); // key -> { run: closure, warnings: array }  (Map keeps insertion order: LRU)
let cachingEnabled = true;
let capturing = false;

const PLAIN_TYPE = { isError: false, isSkipped: false };

const originalConfigure = parser.configure;

parser.configure = function (config) {
  const configured = originalConfigure.call(this, config);
  if (!capturing) {
    return configured;
  }
  const originalParse = configured.parse;
  configured.parse = function (input, fragments, ranges) {
    const tree = originalParse.call(this, input, fragments, ranges);
    return {
      iterate(spec) {
        spec.enter({ type: PLAIN_TYPE, name: 'NamedParameter', from: 0, to: 0 });
        tree.iterate(spec);
        spec.enter({ type: PLAIN_TYPE, name: 'Wildcard', from: 0, to: 0 });
        spec.leave({ type: PLAIN_TYPE });
        spec.leave({ type: PLAIN_TYPE });
      }
    };
  };
  return configured;
};

// Compile `expression` against the parse-relevant shape of `context`. Throws what feelin throws
// (SyntaxError) when the text does not parse; returns null if the seam did not work.
function compile(expression, context) {
  capturing = true;
  let result;
  try {
    result = feelEvaluate(expression, context);
  } finally {
    capturing = false;
  }
  const { value, warnings } = result;
  if (
    Array.isArray(value) && value.length === 2 && typeof value[0] === 'function' &&
    value[1] === true && Array.isArray(warnings) && warnings.length === 0
  ) {
    return { run: value[0], warnings };
  }
  return null;
}

// A key that is a plain identifier and no FEEL keyword cannot change how an expression parses.
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set([
  'for', 'in', 'return', 'if', 'then', 'else', 'some', 'every', 'satisfies', 'or', 'and',
  'between', 'instance', 'of', 'days', 'time', 'duration', 'years', 'months', 'date', 'list',
  'context', 'function', 'null', 'true', 'false', 'external', 'not'
]);
const FIRST_WORD = /^[^\s'./\-+*^]*/;

function collectNames(value, expression, out) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === 'object') {
        collectNames(item, expression, out);
      }
    }
    return;
  }
  for (const key in value) {
    if (!PLAIN_NAME.test(key) || KEYWORDS.has(key)) {
      const firstWord = FIRST_WORD.exec(key)[0];
      if (firstWord === '' || expression.includes(firstWord)) {
        out.add(key);
      }
    }
    const item = value[key];
    if (item !== null && typeof item === 'object') {
      collectNames(item, expression, out);
    }
  }
}

function cacheKey(expression, context) {
  const names = new Set();
  collectNames(context, expression, names);
  if (names.size === 0) {
    return expression;
  }
  return expression + '\u0000' + JSON.stringify(Array.from(names).sort());
}

function evaluateCached(expression, context) {
  const key = cacheKey(expression, context);
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = compile(expression, context);
    if (entry === null) {
      return feelEvaluate(expression, context);
    }
    if (cache.size >= CACHE_LIMIT) {
      cache.delete(cache.keys().next().value);
    }
  } else {
    cache.delete(key); // re-insert below: most recently used last
  }
  cache.set(key, entry);
  entry.warnings.length = 0;
  const value = entry.run(context);
  const warnings = entry.warnings.slice();
  entry.warnings.length = 0;
  return { value, warnings };
}

// ---------------------------------------------------------------------------------------------
// 3. result conversion

class Unstorable extends Error {}

function convert(value, notes) {
  if (value === null || value === undefined) {
    return null;
  }
  switch (typeof value) {
  case 'string':
  case 'boolean':
    return value;
  case 'number':
    if (Number.isFinite(value)) {
      return value;
    }
    notes.push(`INVALID_NUMBER: the result contains ${value}, which is not a number JSON can hold; it became null`);
    return null;
  case 'function':
    throw new Unstorable('the result is a FEEL function, which cannot be stored as a variable');
  case 'object':
    break;
  default:
    throw new Unstorable(`the result is a ${typeof value}, which cannot be stored as a variable`);
  }
  if (Array.isArray(value)) {
    return value.map((item) => convert(item, notes));
  }
  if (isRange(value)) {
    throw new Unstorable(`the result is the FEEL range ${String(value)}, which cannot be stored as a variable`);
  }
  if (isFunction(value)) {
    throw new Unstorable('the result is a FEEL function, which cannot be stored as a variable');
  }
  if (typeof value.toJSON === 'function') {
    // FeelDate, FeelTime, FeelDateTime, FeelDuration: their canonical ISO form
    return value.toJSON();
  }
  const result = {};
  for (const key of Object.keys(value)) {
    result[key] = convert(value[key], notes);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// the API

function formatWarning(warning) {
  return `${warning.type}: ${warning.message}`;
}

function failure(kind, reason) {
  return JSON.stringify({ ok: false, kind, reason });
}

// The zone and context of a call, or a failure answer (a string) if either is unusable.
function prepare(contextJson, zone, fallbackZone) {
  if (!checkZone(zone)) {
    if (!checkZone(fallbackZone)) {
      return failure('internal', `unknown time zones '${zone}' and '${fallbackZone}'`);
    }
    zone = fallbackZone;
  }
  let context;
  try {
    context = JSON.parse(contextJson);
  } catch (error) {
    return failure('internal', `the context is not valid JSON: ${error.message}`);
  }
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    return failure('internal', 'the context must be a JSON object');
  }
  return { zone, context };
}

// What feelin threw, as an answer object.
function thrown(error) {
  if (error instanceof FeelSyntaxError) {
    const { from, to } = error.position || {};
    const where = from === undefined ? '' : ` at position ${from}` + (to > from ? `-${to}` : '');
    return { ok: false, kind: 'syntax', reason: `syntax error${where}: ${error.message}` };
  }
  return { ok: false, kind: 'internal', reason: `feelin failed: ${error && error.message ? error.message : String(error)}` };
}

// feelin's result converted to an answer object.
function answer(result) {
  const warnings = result.warnings.map(formatWarning);
  try {
    return { ok: true, value: convert(result.value, warnings), warnings };
  } catch (error) {
    if (error instanceof Unstorable) {
      return { ok: false, kind: 'unstorable', reason: error.message };
    }
    throw error;
  }
}

// Camunda's FEEL function fromAi(value, description, type, schema, options): an AI agent's tool reads its arguments
// with it (the engine describes them to the agent from its arguments, engine/ad_hoc_parameters.py); evaluated, it is
// its value. Given only to expressions that call it (the context's shape is part of the compiled-expression cache key).
function fromAi(value, description, type, schema, options) {
  return value;
}

function withCamundaFunctions(expression, context) {
  if (expression.includes('fromAi') && !Object.prototype.hasOwnProperty.call(context, 'fromAi')) {
    context.fromAi = fromAi;
  }
  return context;
}

function evaluateNative(expression, context) {
  return cachingEnabled ? evaluateCached(expression, context) : feelEvaluate(expression, context);
}

function evaluate(expression, contextJson, epochMicros, zone, fallbackZone) {
  const call = prepare(contextJson, zone, fallbackZone);
  if (typeof call === 'string') {
    return call;
  }
  clock = { epochMicros, zone: call.zone };
  let result;
  try {
    result = evaluateNative(expression, withCamundaFunctions(expression, call.context));
  } catch (error) {
    return JSON.stringify(thrown(error));
  } finally {
    clock = null;
  }
  return JSON.stringify(answer(result));
}

// The variables a unary test can refer to: those whose name occurs in its text (feelin copies the whole context on
// every call, which a large context and a long table would multiply), plus the input value as `?`.
function testContext(test, context, input) {
  const scope = { '?': input };
  for (const key in context) {
    if (test.includes(key)) {
      scope[key] = context[key];
    }
  }
  return scope;
}

// One input column of a DMN decision table: the input expression is evaluated once, and each test is run
// against its value as FEEL has it (a date stays a date), not its JSON form.
function unaryTests(inputExpression, testsJson, contextJson, epochMicros, zone, fallbackZone) {
  const call = prepare(contextJson, zone, fallbackZone);
  if (typeof call === 'string') {
    return call;
  }
  const tests = JSON.parse(testsJson);
  clock = { epochMicros, zone: call.zone };
  try {
    let input;
    try {
      input = evaluateNative(inputExpression, call.context);
    } catch (error) {
      return JSON.stringify(thrown(error));
    }
    const inputAnswer = answer(input);
    if (!inputAnswer.ok) {
      return JSON.stringify(inputAnswer);
    }
    const results = tests.map((test) => {
      try {
        const result = feelUnaryTest(test, testContext(test, call.context, input.value));
        return { ok: true, value: result.value, warnings: result.warnings.map(formatWarning) };
      } catch (error) {
        return thrown(error);
      }
    });
    return JSON.stringify({ ok: true, input: inputAnswer, tests: results });
  } finally {
    clock = null;
  }
}

// A deploy-time check: the expression parsed and compiled (as without variables), never run, so a costly one costs
// no more than a cheap one. The answer as `evaluate` gives it, without a value; null when the compiling seam is off
// (the caller then checks by running the expression within a short limit).
function check(expression) {
  if (!cachingEnabled) {
    return null;
  }
  let compiled;
  try {
    compiled = compile(expression, {});
  } catch (error) {
    return JSON.stringify(thrown(error));
  }
  return compiled === null ? null : JSON.stringify({ ok: true });
}

// A deploy-time check of a DMN input column's unary tests: each parsed, none run. A test whose parse tree has an
// error node is handed to feelin, which throws its SyntaxError while building the test – before it evaluates
// anything – so the reason is feelin's own.
function checkUnaryTests(testsJson) {
  const tests = JSON.parse(testsJson);
  return JSON.stringify(tests.map((test) => {
    let broken = false;
    parseUnaryTests(test).iterate({
      enter(node) {
        if (node.type.isError) {
          broken = true;
        }
        return !broken;
      }
    });
    if (!broken) {
      return { ok: true };
    }
    try {
      feelUnaryTest(test, {});
    } catch (error) {
      return thrown(error);
    }
    return { ok: true };
  }));
}

// Start-up self-test of the caching seam: same values and warnings as plain evaluate(), else off.
function selfTest() {
  const probes = [
    ['a + b * 2', { a: 1, b: 2 }],
    ['missing', {}],
    ['x.y', { x: { z: 1 } }],
    ['count(items[price > limit])', { items: [{ price: 1 }, { price: 5 }], limit: 2 }],
    ['if flag then "yes" else "no"', { flag: false }],
    ['order-id + 1', { 'order-id': 4 }],
    ['date("2024-01-31") + duration("P1D")', {}]
  ];
  try {
    for (let round = 0; round < 2; round++) {
      for (const [expression, context] of probes) {
        const expected = JSON.stringify(feelEvaluate(expression, context), ['value', 'warnings', 'type', 'message']);
        const actual = JSON.stringify(evaluateCached(expression, context), ['value', 'warnings', 'type', 'message']);
        if (expected !== actual) {
          return false;
        }
      }
    }
    return true;
  } catch (_error) {
    return false;
  } finally {
    cache.clear();
  }
}

cachingEnabled = selfTest();

globalThis.__pbjFeel = {
  evaluate,
  unaryTests,
  check,
  checkUnaryTests,
  cacheSize: () => cache.size,
  clearCache: () => cache.clear(),
  cachingEnabled: () => cachingEnabled,
  setCaching: (enabled) => {
    cachingEnabled = Boolean(enabled);
    cache.clear();
  }
};
