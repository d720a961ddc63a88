# The Debian packages (make deb, scripts/deb.sh): built with
# dpkg-buildpackage into $SK_BUILD_DIR/deb (lintian: no error), installed
# with dpkg -i on this machine; then the system user, /etc/schakel and its
# configuration files, /var/lib/schakel, the man pages and the units are
# checked, and a federation (CA, registry, a pseudonymiser, a node) is set
# up under /var/lib/schakel as the user schakel, each server started with
# the command line its installed unit runs (ExecStart=, as systemd would
# run it: as schakel, the key-encryption passphrase as the credential
# schakel-kek, only the addresses in the installed configuration changed to
# 127.0.0.1 port 0) until it prints 'listening on', asked over the network,
# and stopped with SIGTERM (exit 0). Installed again (as an upgrade), the
# edited configuration and the modes stay. At the end, also on failure, the
# packages are purged and everything the test made is removed.
# Installs packages system-wide: root only (CI runs as root); it refuses a
# machine where schakel is installed or /etc/schakel or /var/lib/schakel exist.
# SK_DEB_DIR=DIR takes the packages from DIR (after make deb) instead.
DEB_CLEANUP=/var/backups/schakel # the registry's postinst makes it
source "$(dirname "$0")/deb_lib.sh"

# ---- build (or take) the packages ----
deb_build

# ---- install ----
deb_install

# the system user: a system uid, no login shell, group schakel
IFS=: read -r _ _ uid gid _ _ shell <<<"$(getent passwd schakel)" || fail "no user schakel"
[ "$uid" -lt 1000 ] || fail "schakel has uid $uid, not a system uid"
case $shell in */nologin | /bin/false) ;; *) fail "schakel has the login shell $shell" ;; esac
[ "$(getent group schakel | cut -d: -f3)" = "$gid" ] || fail "schakel's group is not schakel"
# modes and owners, also as dpkg-statoverride keeps them
want_stat() { # PATH MODE OWNER:GROUP
	[ "$(stat -c '%a %U:%G' "$1" 2>/dev/null)" = "$2 $3" ] || fail "$1 is $(stat -c '%a %U:%G' "$1" 2>&1), not $2 $3"
}
want_stat /var/lib/schakel 700 schakel:schakel
want_stat /var/backups/schakel 700 schakel:schakel
want_stat /etc/schakel 750 root:schakel
for n in registry pseudonymiser node; do
	want_stat /etc/schakel/$n.conf 640 root:schakel
	grep -qx "/etc/schakel/$n.conf" /var/lib/dpkg/info/schakel-$n.conffiles ||
		fail "/etc/schakel/$n.conf is not a conffile of schakel-$n"
	u=/lib/systemd/system/schakel-$n.service
	[ -f "$u" ] || fail "no $u"
	grep -q "^ExecStart=/usr/bin/schakel-$n serve " "$u" || fail "$u runs $(grep ^ExecStart= "$u")"
	[ -x /usr/bin/schakel-$n ] || fail "no /usr/bin/schakel-$n"
	[ ! -e /etc/systemd/system/multi-user.target.wants/schakel-$n.service ] ||
		fail "schakel-$n.service is enabled on install (it needs init and join first)"
	if grep -q "^path-exclude=/usr/share/man" /etc/dpkg/dpkg.cfg.d/* 2>/dev/null; then
		dpkg-deb -c "$DEBS"/schakel-${n}_*.deb | grep -c >/dev/null "usr/share/man/man8/schakel-$n.8" ||
			fail "schakel-$n ships no man page"
		echo "# dpkg here leaves out /usr/share/man (path-exclude): checked the man page in the package"
	else
		[ "$(man -w schakel-$n 2>/dev/null)" = /usr/share/man/man8/schakel-$n.8.gz ] ||
			fail "man schakel-$n does not find /usr/share/man/man8/schakel-$n.8.gz"
	fi
done
[ -f /usr/lib/sysusers.d/schakel.conf ] || fail "no /usr/lib/sysusers.d/schakel.conf"
for n in registry pseudonymiser node; do
	/usr/bin/schakel-$n --version | grep -c >/dev/null "$(dpkg-query -W -f='${Version}' schakel-$n)" ||
		fail "schakel-$n --version: $(/usr/bin/schakel-$n --version 2>&1) (package $(dpkg-query -W -f='${Version}' schakel-$n))"
done
ok "user schakel (uid $uid, $shell), /var/lib/schakel and /var/backups/schakel 0700, /etc/schakel/*.conf 0640 root:schakel, units, man pages"
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify --man=no /lib/systemd/system/schakel-{registry,pseudonymiser,node}.service 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
	ok "systemd-analyze verify accepts the installed units"
else
	echo "# skip: systemd-analyze is not installed; the installed units are not verified"
fi

# ---- a federation as the user schakel ----
# As systemd runs a unit with User=schakel and LoadCredential=schakel-kek:
# the passphrase in a credential dir the binaries find through
# $CREDENTIALS_DIRECTORY. setpriv execs (the pid is the server's).
chmod 711 "$T"
CRED=$T/credentials
install -d -m 0700 -o schakel -g schakel "$CRED"
head -c 32 /dev/urandom | base64 >"$CRED/schakel-kek"
chown schakel:schakel "$CRED/schakel-kek"
chmod 0400 "$CRED/schakel-kek"
as_schakel() {
	(cd / && exec setpriv --reuid=schakel --regid=schakel --init-groups \
		env CREDENTIALS_DIRECTORY="$CRED" "$@")
}
S() { as_schakel "$@" 2>>"$T/commands.log" || fail "as schakel: $*: $(tail -3 "$T/commands.log")"; }

# local_addrs NAME OPTION...: the installed configuration's addresses
# changed to 127.0.0.1 port 0 (the server prints what it got)
local_addrs() {
	local c=/etc/schakel/$1.conf o
	shift
	for o in "$@"; do
		conf_set "$c" "$o" 127.0.0.1:0
	done
}
# serve NAME: runs the unit's command line as schakel until 'listening on';
# sets PID and OUT (its stdout)
serve() {
	OUT=$T/$1.out
	unit_serve "schakel-$1" "$CRED" "$OUT"
	PIDS+=("$PID")
}
stop() { # PID NAME
	kill -TERM "$1"
	wait "$1" || fail "$2 did not exit 0 on SIGTERM: $(tail -5 "$T/$2.out.err")"
}

S schakel-registry ca-init --ca $V/ca --name "Regio Test" >/dev/null
S schakel-registry init --dir $V/registry --name test.example/registry --ca $V/ca >/dev/null
local_addrs registry listen tiles
serve registry
REG_PID=$PID
TILES=$(sed -n 's/^tiles listening on //p' "$OUT")
[ -n "$TILES" ] || fail "the registry's unit serves no tiles: $(cat "$OUT")"
openssl x509 -inform der -in $V/ca/ca.crt -out "$T/ca.pem"
port=${TILES##*:}
curl -sS --cacert "$T/ca.pem" --resolve "registry:$port:127.0.0.1" "https://registry:$port/checkpoint" \
	>"$T/checkpoint" || fail "GET /checkpoint from the registry's tiles"
grep -q "^test.example/registry$" "$T/checkpoint" || fail "the checkpoint: $(cat "$T/checkpoint")"
ok "schakel-registry.service's command line as schakel: $(head -1 "$OUT"); its checkpoint over HTTPS"

S schakel-pseudonymiser init --dir $V/pseudonymiser --org-id ps1 --name "Pseudonymiser 1" >/dev/null
S schakel-registry enrol --dir $V/registry --ca $V/ca --request $V/pseudonymiser/enrol-request \
	--out $V/ps1.bundle >/dev/null
S schakel-pseudonymiser join --dir $V/pseudonymiser --bundle $V/ps1.bundle >/dev/null
local_addrs pseudonymiser listen witness-listen
serve pseudonymiser
PS_PID=$PID
PS_ADDR=$(sed -n 's/^listening on //p' "$OUT")
grep -q '^witness listening on ' "$OUT" || fail "the pseudonymiser's unit runs no witness: $(cat "$OUT")"
ok "schakel-pseudonymiser.service's command line as schakel: listening on $PS_ADDR, $(head -1 "$OUT")"

S schakel-node init --dir $V/node --org-id wijkteam --name "Sociaal wijkteam" --category sociaal-team >/dev/null
S schakel-registry enrol --dir $V/registry --ca $V/ca --request $V/node/enrol-request --out $V/wijkteam.bundle \
	--pseudonymiser "ps1@$PS_ADDR" >/dev/null
S schakel-pseudonymiser allow --dir $V/pseudonymiser --org wijkteam >/dev/null
S schakel-node join --dir $V/node --bundle $V/wijkteam.bundle >/dev/null
S schakel-node sync --dir $V/node >/dev/null
local_addrs node web
serve node
NODE_PID=$PID
WEB=$(sed -n 's/^listening on //p' "$OUT")
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://$WEB/") || fail "GET / from the node"
case $code in 200 | 302 | 303) ;; *) fail "GET / from the node: HTTP $code" ;; esac
ok "schakel-node.service's command line as schakel: listening on $WEB, GET / gives $code"

# every file the servers and commands made belongs to schakel, nothing is world-readable
[ -z "$(find $V ! -user schakel)" ] || fail "not schakel's: $(find $V ! -user schakel | head -3)"
[ -z "$(find $V -perm /o=rwx)" ] || fail "open to others: $(find $V -perm /o=rwx | head -3)"
stop "$NODE_PID" node
stop "$PS_PID" pseudonymiser
stop "$REG_PID" registry
PIDS=()
ok "the three servers stopped with SIGTERM, exit 0"

# ---- installing again (as an upgrade does): the operator's edits and the modes stay ----
dpkg_retry -i "${FILES[@]}" >>"$T/dpkg.log" 2>&1 || fail "dpkg -i again: $(tail -20 "$T/dpkg.log")"
grep -q "^listen = 127.0.0.1:0$" /etc/schakel/registry.conf || fail "installing again replaced the edited registry.conf"
want_stat /etc/schakel/registry.conf 640 root:schakel
want_stat /var/lib/schakel 700 schakel:schakel
want_stat /var/lib/schakel/registry 700 schakel:schakel
ok "installed again: the edited configuration and the modes stay"

# ---- purge: nothing of the packages is left ----
rm -rf /var/lib/schakel/*
dpkg_retry --purge $PKGS >>"$T/dpkg.log" 2>&1 || fail "dpkg --purge: $(tail -20 "$T/dpkg.log")"
INSTALLED=0
for f in /etc/schakel /var/lib/schakel /usr/bin/schakel-node /lib/systemd/system/schakel-node.service \
	/usr/lib/sysusers.d/schakel.conf; do
	[ ! -e "$f" ] || fail "$f is left after dpkg --purge"
done
! dpkg-statoverride --list | grep -c >/dev/null schakel || fail "statoverrides left: $(dpkg-statoverride --list | grep schakel)"
ok "dpkg --purge removed the packages, /etc/schakel, /var/lib/schakel and the statoverrides"
