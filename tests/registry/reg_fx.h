/* A registry with its CA in a temp dir, for the cmocka tests that enrol
 * members on a real store (test_enrol.c, test_membership.c). */
#ifndef SK_TEST_REG_FX_H
#define SK_TEST_REG_FX_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/file.h"
#include "common/init.h"
#include "crypto/oprf.h"
#include "protos/wire.h"
#include "registry/enrol.h"

typedef struct fx {
	char *dir;
	sk_kek *kek;
	reg_store *r;
	reg_ca *ca;
} fx;

/* A fresh registry whose own id is registry_id, with its TLS certificate. */
static inline fx *fx_open(const char *registry_id)
{
	fx *f = calloc(1, sizeof(*f));
	char ca_dir[600], reg_dir[600];

	assert_non_null(f);
	E(sk_init());
	E(sk_kek_open(&f->kek, NULL, 1));
	f->dir = t_tmpdir();
	snprintf(ca_dir, sizeof(ca_dir), "%s/ca", f->dir);
	snprintf(reg_dir, sizeof(reg_dir), "%s/r", f->dir);
	E(reg_ca_init(ca_dir, "Regio Test", f->kek));
	E(reg_store_init(reg_dir, "test.example/registry", registry_id, f->kek));
	E(reg_store_open(&f->r, reg_dir, f->kek));
	E(reg_ca_open(&f->ca, ca_dir, f->kek));
	E(reg_tls_ensure(f->r, f->ca, f->kek));
	return f;
}

static inline int fx_close(void **state)
{
	fx *f = *state;

	reg_ca_close(f->ca);
	reg_store_close(f->r);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	free(f);
	return 0;
}

/* Enrols org_id (category ggz) in role through a signed request, as
 * `enrol` does; returns reg_enrol's status (no bundle on a refusal). */
static inline sk_status fx_enrol(fx *f, const char *org_id, Schakel__V1__Role role)
{
	static reg_enrol_opts eo = {.registry_address = "127.0.0.1:1"};
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	uint8_t *req = NULL, *bundle = NULL, sk[OPRF_SCALAR_BYTES], pk[OPRF_ELEMENT_BYTES];
	key_ed25519 id, tls;
	size_t len = 0, blen = 0;
	char path[700], org[64];
	sk_status st;

	key_ed25519_generate(&id);
	key_ed25519_generate(&tls);
	b.org_id = (char *)org_id;
	b.name = "Some org";
	b.category = "ggz";
	b.role = role;
	b.identity_key = (ProtobufCBinaryData){32, id.pk};
	b.tls_key = (ProtobufCBinaryData){32, tls.pk};
	if (role == SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER) {
		oprf_keypair_generate(sk, pk);
		b.has_oprf_key = 1;
		b.oprf_key = (ProtobufCBinaryData){sizeof(pk), pk};
	}
	b.created_at = 1;
	snprintf(path, sizeof(path), "%s/request", f->dir);
	unlink(path);
	E(wire_enrol_request_write(path, &b, id.sk));
	E(sk_file_read(path, 65536, &req, &len));
	st = reg_enrol(f->r, f->ca, req, len, &eo, &bundle, &blen, org);
	if (st != SK_OK)
		assert_null(bundle);
	free(req);
	free(bundle);
	sodium_memzero(sk, sizeof(sk));
	key_ed25519_wipe(&id);
	key_ed25519_wipe(&tls);
	return st;
}

#endif
