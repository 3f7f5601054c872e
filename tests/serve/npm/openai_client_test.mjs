// The openai npm package (6.x, a client no one here wrote) against a running tpbench_serve:
// completions and chat completions, whole and streamed, models.list(), and an unknown model.
// The expected greedy ids and texts come from the driver (tests/serve/npm_client_test.py).
//
// usage: node openai_client_test.mjs --base-url http://HOST:PORT/v1 --model NAME --expect FILE
// Exit 0 when every check holds; 1 with one line per failed check; 2 for bad arguments.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const usage = 'usage: node openai_client_test.mjs --base-url URL --model NAME --expect FILE';
let args;
try {
  args = parseArgs({
    options: {
      'base-url': { type: 'string' },
      model: { type: 'string' },
      expect: { type: 'string' },
    },
  }).values;
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(2);
}
if (!args['base-url'] || !args.model || !args.expect) {
  console.error(usage);
  process.exit(2);
}
const model = args.model;
let expect;
try {
  expect = JSON.parse(readFileSync(args.expect, 'utf8'));
} catch (e) {
  console.error(`--expect ${args.expect}: ${e.message}`);
  process.exit(2);
}
// No retries: a failure shows at once instead of after the client's back-off.
const client = new OpenAI({ baseURL: args['base-url'], apiKey: 'unused', maxRetries: 0, timeout: 60_000 });

const failures = [];
let checks = 0;
function check(what, got, want) {
  checks += 1;
  if (!isDeepStrictEqual(got, want)) {
    failures.push(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
}

// Greedy: temperature 0. ignore_eos and return_token_ids are tpbench_serve's extensions; the
// client sends keys it does not know as they are (its README, "Undocumented request params").
const greedy = (c) => ({
  model, prompt: c.prompt, max_tokens: c.max_tokens, temperature: 0, ignore_eos: true,
  return_token_ids: true,
});

async function completionsWhole(c) {
  const what = `completions (prompt ${JSON.stringify(c.prompt).slice(0, 24)}, ${c.max_tokens} tokens)`;
  const r = await client.completions.create(greedy(c));
  check(`${what} object`, r.object, 'text_completion');
  check(`${what} model`, r.model, model);
  check(`${what} choices`, r.choices.length, 1);
  const choice = r.choices[0];
  check(`${what} token_ids`, choice.token_ids, c.ids);
  check(`${what} text`, choice.text, c.text);
  check(`${what} finish_reason`, choice.finish_reason, 'length');
  check(`${what} usage`, r.usage, {
    prompt_tokens: c.prompt_tokens, completion_tokens: c.max_tokens,
    total_tokens: c.prompt_tokens + c.max_tokens,
  });
}

async function completionsStreamed(c, includeUsage) {
  const what = `streamed completions (prompt ${JSON.stringify(c.prompt).slice(0, 24)}, ` +
    `${c.max_tokens} tokens, include_usage ${includeUsage})`;
  const body = { ...greedy(c), stream: true };
  if (includeUsage) body.stream_options = { include_usage: true };
  const stream = await client.completions.create(body);
  let ids = [], text = '', contentChunks = 0;
  const finish = [], usage = [];
  for await (const chunk of stream) {
    check(`${what} chunk object`, chunk.object, 'text_completion');
    if (chunk.usage) usage.push(chunk.usage);
    for (const choice of chunk.choices) {
      contentChunks += 1;
      ids = ids.concat(choice.token_ids ?? []);
      text += choice.text ?? '';
      finish.push(choice.finish_reason);
    }
  }
  check(`${what} token_ids`, ids, c.ids);
  check(`${what} text`, text, c.text);
  check(`${what} finish reasons`, finish,
    [...Array(c.max_tokens - 1).fill(null), 'length']);
  check(`${what} chunks carrying tokens`, contentChunks, c.max_tokens);
  check(`${what} usage chunks`, usage, includeUsage ? [{
    prompt_tokens: c.prompt_tokens, completion_tokens: c.max_tokens,
    total_tokens: c.prompt_tokens + c.max_tokens,
  }] : []);
}

// Chat: its plain template turns the messages into one prompt (docs/ARCHITECTURE.md), so the
// answer must be the completions endpoint's answer to that prompt, whole and streamed.
async function chat(c) {
  const what = 'chat';
  const plain = await client.completions.create({
    model, prompt: c.templated, max_tokens: c.max_tokens, temperature: 0, ignore_eos: true,
    return_token_ids: true,
  });
  const want = plain.choices[0];
  check(`${what} reference length`, want.token_ids.length, c.max_tokens);
  const body = {
    model, messages: c.messages, max_completion_tokens: c.max_tokens, temperature: 0,
    ignore_eos: true, return_token_ids: true,
  };
  const r = await client.chat.completions.create(body);
  check(`${what} object`, r.object, 'chat.completion');
  check(`${what} model`, r.model, model);
  const choice = r.choices[0];
  check(`${what} role`, choice.message.role, 'assistant');
  check(`${what} content`, choice.message.content, want.text);
  check(`${what} token_ids`, choice.token_ids, want.token_ids);
  check(`${what} prompt_token_ids`, choice.prompt_token_ids, want.prompt_token_ids);
  check(`${what} finish_reason`, choice.finish_reason, 'length');
  check(`${what} usage.completion_tokens`, r.usage?.completion_tokens, c.max_tokens);

  const stream = await client.chat.completions.create({
    ...body, stream: true, stream_options: { include_usage: true },
  });
  let first = null, content = '', ids = [], usage = null, finish = null;
  for await (const chunk of stream) {
    check(`streamed ${what} chunk object`, chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const ch of chunk.choices) {
      first ??= ch.delta;
      content += ch.delta?.content ?? '';
      ids = ids.concat(ch.token_ids ?? []);
      finish = ch.finish_reason ?? finish;
    }
  }
  check(`streamed ${what} first delta`, first, { role: 'assistant', content: '' });
  check(`streamed ${what} content`, content, want.text);
  check(`streamed ${what} token_ids`, ids, want.token_ids);
  check(`streamed ${what} finish_reason`, finish, 'length');
  check(`streamed ${what} usage.completion_tokens`, usage?.completion_tokens, c.max_tokens);
}

async function models() {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  check('models.list() ids', ids, [model]);
}

// An unknown model: the client throws its NotFoundError (an APIError) carrying the server's
// OpenAI-style error body, for a whole request and for a streamed one alike.
async function unknownModel(stream) {
  const what = `unknown model (stream ${stream})`;
  try {
    const r = await client.completions.create({
      model: 'no-such-model', prompt: 'Once', max_tokens: 2, stream,
    });
    if (stream) for await (const _ of r);
    checks += 1;
    failures.push(`${what}: no error thrown`);
  } catch (e) {
    check(`${what} is an APIError`, e instanceof OpenAI.APIError, true);
    check(`${what} is a NotFoundError`, e instanceof OpenAI.NotFoundError, true);
    check(`${what} status`, e.status, 404);
    check(`${what} param`, e.param, 'model');
    check(`${what} type`, e.type, 'NotFoundError');
    check(`${what} message names the model`, /no-such-model/.test(e.message), true);
  }
}

const steps = [
  ['models.list()', models],
  ...expect.completions.map((c) => [`completions ${c.max_tokens}`, () => completionsWhole(c)]),
  ...expect.completions.map((c, i) => [`streamed completions ${c.max_tokens}`,
    () => completionsStreamed(c, i % 2 === 0)]),
  ['chat', () => chat(expect.chat)],
  ['unknown model', () => unknownModel(false)],
  ['unknown model streamed', () => unknownModel(true)],
];
for (const [name, step] of steps) {
  try {
    await step();
  } catch (e) {
    checks += 1;
    failures.push(`${name}: threw ${e.constructor.name}: ${e.message}`);
  }
}
for (const f of failures) console.log(`FAIL: ${f}`);
if (failures.length) process.exit(1);
console.log(`OK: ${checks} checks, openai ${VERSION} on Node ${process.version}`);
