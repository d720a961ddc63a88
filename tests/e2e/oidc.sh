# Sign-in with the organisation's identity provider (docs/web.md): a real
# OpenID provider (oidc-provider from tests/web/package-lock.json, HTTPS on
# 127.0.0.1 with a certificate made here, tests/web/oidc_provider.mjs) and
# a node serving with --oidc-*; headless Chromium signs in as a linked
# account and out, and is refused, each with the sign-in page's sentence and
# no session, for a replayed callback, another browser's callback, an
# account linked to no one, and ID tokens the provider issued for another
# client, expired, of another issuer, with another nonce or with a tampered
# signature (tests/web/oidc.mjs). The
# sign-ins are in the audit log with their method; passwords still work;
# over the node's own TLS (--tls-self) sign-in and sign-out work with the
# Secure cookies; --oidc-only leaves only the provider; a client secret
# file others may read is refused.
source "$(dirname "$0")/lib.sh"
WEB_SRC=$(cd "$(dirname "$0")/../web" && pwd)
source "$WEB_SRC/node_up.sh"

browser_up

cd "$T"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NODE_PORT=$(free_port) IDP_PORT=$(free_port) CTL_PORT=$(free_port) TLS_PORT=$(free_port)
BASE=http://127.0.0.1:$NODE_PORT TLS_BASE=https://127.0.0.1:$TLS_PORT
ISSUER=https://127.0.0.1:$IDP_PORT
CLIENT_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
LOGIN=anna.devries@wijkteam.example
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout idp.key \
	-out idp.crt -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
	fail "openssl: no certificate for the provider"
(umask 077 && printf '%s\n' "$CLIENT_SECRET" >client-secret)

"$SK_NODE" init --dir $ORG_A --org-id $ORG_A --name "Wijkteam Zeist" --category sociaal-team \
	--dev >/dev/null 2>>"$T/node.log" || fail "init: $(tail -3 "$T/node.log")"
node professional add --dir $ORG_A --id $PROF --name "$PROF_NAME" --role wijkcoach >/dev/null ||
	fail "professional add $PROF"
passwd $ORG_A $PROF "$PROF_PW"
# bea is a professional without a linked account: an account at the
# provider named "bea" is no one here
node professional add --dir $ORG_A --id $PROF2 --name "$PROF2_NAME" --role wijkcoach >/dev/null ||
	fail "professional add $PROF2"
out=$(node professional link --dir $ORG_A --id $PROF --login "$LOGIN") ||
	fail "professional link: $(tail -3 "$T/node.log")"
[ "$out" = "$LOGIN signs in as $PROF" ] || fail "professional link printed '$out'"
try "$SK_NODE" professional link --dir $ORG_A --id nobody --login someone --dev
[ "$rc" -ne 0 ] || fail "professional link to an unknown professional succeeded"
ok "professional link: $LOGIN is $PROF; an unknown professional is refused"

WEB_MODULES=$MODULES OIDC_PORT=$IDP_PORT OIDC_CONTROL_PORT=$CTL_PORT OIDC_CERT=idp.crt \
	OIDC_KEY=idp.key OIDC_CLIENT_ID=schakel-wijkteam OIDC_CLIENT_SECRET=$CLIENT_SECRET \
	OIDC_REDIRECT=$BASE/oidc/callback,$TLS_BASE/oidc/callback "$(type -P node)" "$WEB_SRC/oidc_provider.mjs" \
	>idp.out 2>idp.log &
IDP_PID=$!
PIDS+=("$IDP_PID")
for _ in $(seq 300); do grep -q '^provider ready' idp.out && break; sleep 0.1; done
grep -q '^provider ready' idp.out || fail "the provider did not start: $(tail -5 idp.log)"
ok "an OpenID provider (oidc-provider) on $ISSUER"

# serve_oidc SECRET-FILE [OPTIONS]: plain HTTP on NODE_PORT, or with
# --tls-self (and --web 127.0.0.1:$TLS_PORT) over TLS. (exec: run in the
# background, its PID is the node itself.)
serve_oidc() {
	local base=$BASE port=$NODE_PORT
	if [ "${2:-}" = --tls-self ]; then base=$TLS_BASE port=$TLS_PORT; fi
	exec "$SK_NODE" serve --dir $ORG_A --web 127.0.0.1:$port --sync-seconds 3600 --dev \
		--oidc-issuer "$ISSUER" --oidc-client-id schakel-wijkteam \
		--oidc-client-secret-file "$1" --oidc-redirect-uri "$base/oidc/callback" \
		--oidc-ca-file idp.crt --oidc-name "Wijkteam Zeist" "${@:2}"
}

# start_oidc [OPTIONS]: serve_oidc in the background until it listens
# (SERVE_PID; stop_serve stops it).
start_oidc() {
	# emptied here, not by the child's redirection: the child may open it
	# after the loop below has already read the last run's line
	: >serve.out
	serve_oidc client-secret "$@" >>serve.out 2>>serve.log &
	SERVE_PID=$!
	PIDS+=("$SERVE_PID")
	for _ in $(seq 300); do grep -q '^listening on ' serve.out && break; sleep 0.1; done
	grep -q '^listening on ' serve.out || fail "serve $* did not start: $(tail -5 serve.log)"
}

# a secret file others may read: refused, with what to do
cp client-secret loose-secret && chmod 644 loose-secret
try serve_oidc loose-secret
[ "$rc" -ne 0 ] || fail "serve started with a client secret file of mode 0644"
grep -q "chmod 600" <<<"$msg" || fail "serve on a 0644 secret file said: $msg"
ok "a client secret file others may read is refused: ${msg##*: }"

start_oidc

WEB_BASE=$BASE OIDC_CONTROL=http://127.0.0.1:$CTL_PORT WEB_MODULES=$MODULES WEB_CHROMIUM=$CHROMIUM \
	OIDC_LOGIN=$LOGIN OIDC_NAME="$PROF_NAME" OIDC_UNKNOWN=$PROF2 \
	timeout 240 "$(type -P node)" "$WEB_SRC/oidc.mjs" ||
	fail "sign-in with the provider (serve log $T/serve.log, provider log $T/idp.log)"

# passwords still work next to the provider
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d "{\"professional\":\"$PROF\",\"password\":\"$PROF_PW\"}" "$BASE/api/session")
[ "$code" = 200 ] || fail "password sign-in next to the provider: HTTP $code"
ok "password sign-in still works"
stop_serve

# over the node's own TLS (--tls-self): the sign-in and sign-out again, with
# the __Host- Secure session cookie and the Secure pre-session cookie
start_oidc --tls-self
pre=$(curl -sk -D - -o /dev/null "$TLS_BASE/oidc/start" | grep -i '^set-cookie: schakel_oidc=')
grep -q 'Secure' <<<"$pre" || fail "over TLS the pre-session cookie is not Secure: $pre"
WEB_BASE=$TLS_BASE OIDC_CONTROL=http://127.0.0.1:$CTL_PORT WEB_MODULES=$MODULES WEB_CHROMIUM=$CHROMIUM \
	OIDC_LOGIN=$LOGIN OIDC_NAME="$PROF_NAME" OIDC_UNKNOWN=$PROF2 OIDC_QUICK=1 \
	timeout 120 "$(type -P node)" "$WEB_SRC/oidc.mjs" ||
	fail "sign-in with the provider over TLS (serve log $T/serve.log)"
ok "over TLS: the pre-session cookie is Secure, sign-in and sign-out work"
stop_serve

# --oidc-only: the sign-in page has only the provider's link, and the
# password sign-in is refused
start_oidc --oidc-only
page=$(curl -s "$BASE/signin")
grep -q 'id="oidc-signin"' <<<"$page" || fail "--oidc-only: no a#oidc-signin on /signin"
grep -q 'id="signin"' <<<"$page" && fail "--oidc-only: /signin still has the password form"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d "{\"professional\":\"$PROF\",\"password\":\"$PROF_PW\"}" "$BASE/api/session")
[ "$code" = 403 ] || fail "--oidc-only: a password sign-in got HTTP $code, not 403"
ok "--oidc-only: only the provider's link, a password sign-in refused (403)"
stop_serve

# the provider gone: a node that starts now cannot reach it, and the
# sign-in page says so
kill "$IDP_PID"
wait "$IDP_PID" 2>/dev/null || true
start_oidc
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$BASE/oidc/start")
[ "$loc" = "$BASE/signin?error=oidc-unreachable" ] || fail "the provider gone: /oidc/start sent to '$loc'"
curl -s "$loc" | grep -c >/dev/null "nu niet bereikbaar" || fail "the provider gone: the sign-in page does not say so"
ok "the provider gone: the sign-in page says it cannot be reached now"
stop_serve

# the audit log: her sign-ins through the provider, and the refusals
node audit query --dir $ORG_A --event signin --json >signins.json || fail "audit query"
python3 - signins.json "$PROF" <<'PY' || fail "the audit log's sign-ins (above)"
import json, sys
recs = json.load(open(sys.argv[1]))
ok = [r for r in recs if r["outcome"] == "ok" and r["reason"] == "openid-connect" and r["user"] == sys.argv[2]]
denied = [r["reason"] for r in recs if r["outcome"] == "denied"]
need = ["the ID token is for another client", "the ID token has expired",
        "the ID token is from another issuer", "the ID token's nonce is not this sign-in's",
        "the ID token's signature does not verify", "no professional is linked",
        "the state does not match", "no sign-in of this browser under way",
        "the identity provider did not sign the professional in"]
missing = [n for n in need if not any(n in d for d in denied)]
if len(ok) < 3 or missing or any(r["user"] for r in recs if r["outcome"] == "denied"):
    print(f"ok sign-ins {len(ok)}, denied {denied}, missing {missing}", file=sys.stderr)
    sys.exit(1)
PY
ok "audit: sign-ins through the provider (method openid-connect) and each refusal with its reason"

# nothing secret in the node's diagnostics
for s in "$CLIENT_SECRET" "$PROF_PW"; do
	grep -qF -- "$s" serve.log "$T/node.log" && fail "a secret in the node's diagnostics"
done
grep -q "id_token\|eyJ" serve.log && fail "a token in the node's diagnostics"
ok "no client secret, password or token in the node's diagnostics"
