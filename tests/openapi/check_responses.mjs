// Real responses of a running ingestd against the OpenAPI document it serves, with npm ajv
// (its JSON Schema 2020-12 dialect, which OpenAPI 3.1 schemas are written in). Run by
// tests/integration/openapi_test.cpp, which collected the responses.
//
// usage: node check_responses.mjs <openapi.json> <samples.json>
//   samples: [{method, pattern, status, content_type, body, expect_invalid?}]; body is the
//   parsed JSON (null when there is none). A sample with expect_invalid must be refused: it
//   proves the check can fail.
// Every component schema must compile; each sample's status and content type must be
// documented for its operation and its body must match the schema documented there.
// Prints a line per failure and `N checked, N failed`; exits 1 on any failure.
import fs from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';

const [docPath, samplesPath] = process.argv.slice(2);
if (!docPath || !samplesPath) {
  console.error('usage: check_responses.mjs <openapi.json> <samples.json>');
  process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const samples = JSON.parse(fs.readFileSync(samplesPath, 'utf8'));

// strict: false lets the whole document be one schema resource (its OpenAPI keywords are
// not JSON Schema); formats are annotations here, as OpenAPI 3.1 leaves them by default.
const ajv = new Ajv2020({strict: false, allErrors: true, validateFormats: false});
const kId = 'urn:ingestd:openapi';
ajv.addSchema(doc, kId);
const pointer = (...parts) =>
  '#/' + parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const validatorAt = (ref) => ajv.getSchema(kId + ref);

let failed = 0;
let checked = 0;
const fail = (what, why) => {
  failed++;
  console.log(`FAIL ${what}: ${why}`);
};

for (const name of Object.keys(doc.components.schemas)) {
  checked++;
  try {
    validatorAt(pointer('components', 'schemas', name));
  } catch (e) {
    fail(`schema ${name}`, e.message);
  }
}

// An OpenAPI-level reference (a response object), followed to its target.
const deref = (node) => {
  while (node && node.$ref) {
    node = node.$ref.split('/').slice(1)
        .reduce((n, k) => n?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return node;
};

for (const s of samples) {
  checked++;
  const what = `${s.method} ${s.pattern} ${s.status}`;
  const op = doc.paths[s.pattern]?.[s.method.toLowerCase()];
  if (!op) {
    fail(what, 'no such operation');
    continue;
  }
  const status = String(s.status);
  const refOrResponse = op.responses[status] ?? op.responses.default;
  if (!refOrResponse) {
    fail(what, `status not documented (documented: ${Object.keys(op.responses).join(', ')})`);
    continue;
  }
  const response = deref(refOrResponse);
  const type = (s.content_type || '').split(';')[0].trim();
  if (!response.content) {
    if (s.body !== null) fail(what, 'a body where the document has none');
    continue;
  }
  if (!response.content[type]) {
    fail(what, `content type ${type} not documented (${Object.keys(response.content).join(', ')})`);
    continue;
  }
  // The schema is addressed inside the document, so its $refs resolve against it.
  const base = refOrResponse.$ref ? refOrResponse.$ref.split('/').slice(1)
                                  : ['paths', s.pattern, s.method.toLowerCase(), 'responses', status];
  const validate = validatorAt(pointer(...base, 'content', type, 'schema'));
  const valid = validate(s.body);
  if (s.expect_invalid) {
    if (valid) fail(what, 'a body the schema should refuse was accepted');
  } else if (!valid) {
    fail(what, ajv.errorsText(validate.errors, {dataVar: 'body'}));
  }
}
console.log(`${checked} checked, ${failed} failed`);
process.exit(failed ? 1 : 0);
