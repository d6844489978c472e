// An independent verifier of our access tokens: node's `jose`, fetching the JWKS the
// app serves, as another service would (core/tests/test_jwks_verifiers.py drives it).
// Reads one JSON request per line on stdin, {"token", "alg", "now"}, and answers one
// JSON line each: {"ok": true, "claims": {...}} or {"ok": false, "code": "..."}.
// `now` (seconds) stands in for the wall clock: the tests run on a fake clock.
import { createInterface } from "node:readline";
import { createRemoteJWKSet, jwtVerify } from "jose";

const [url, issuer] = process.argv.slice(1);
// cooldownDuration 0: refetch at once on an unknown kid (jose waits 30 s by default)
const jwks = createRemoteJWKSet(new URL(url), { cooldownDuration: 0 });

for await (const line of createInterface({ input: process.stdin })) {
  const { token, alg, now } = JSON.parse(line);
  let answer;
  try {
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: [alg],
      issuer,
      currentDate: new Date(now * 1000),
    });
    answer = { ok: true, claims: payload };
  } catch (error) {
    answer = { ok: false, code: error.code ?? String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
