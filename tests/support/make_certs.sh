#!/usr/bin/env bash
# Generate throw-away TLS material for the libbentogrpc tests (EC P-256, valid 3 days).
#
#   make_certs.sh DIR
#
# DIR/ca.pem ca.key                  test CA
# DIR/server.pem server.key          server cert from the CA: DNS:localhost, IP:127.0.0.1, IP:::1
# DIR/client.pem client.key          client cert (clientAuth) from the CA
# DIR/other-ca.pem                   an unrelated second CA (its key: other-ca.key)
# DIR/other-server.pem other-server.key   server cert from the other CA: localhost, 127.0.0.1, ::1
# DIR/wrongname.pem wrongname.key    server cert from the CA for DNS:other.example only
#
# Quiet on success; exits non-zero (with openssl's messages on stderr) on failure.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 1; }

days=3
work=$(mktemp -d "${TMPDIR:-/tmp}/make_certs.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[wrongname_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = DNS:other.example
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = DNS:client
EOF

cnf=$work/openssl.cnf

newkey() {  # newkey FILE
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>"$work/err" \
        || { cat "$work/err" >&2; return 1; }
    chmod 600 "$1"
}

run() {  # run openssl ARGS..., quiet unless it fails
    openssl "$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; return 1; }
}

make_ca() {  # make_ca NAME CN
    newkey "$dir/$1.key"
    run req -config "$cnf" -new -x509 -days "$days" -key "$dir/$1.key" -subj "/CN=$2" \
        -extensions ca_ext -set_serial "0x$(openssl rand -hex 8)" -out "$dir/$1.pem"
}

make_leaf() {  # make_leaf NAME CA EXT CN
    newkey "$dir/$1.key"
    run req -config "$cnf" -new -key "$dir/$1.key" -subj "/CN=$4" -out "$work/$1.csr"
    run x509 -req -in "$work/$1.csr" -CA "$dir/$2.pem" -CAkey "$dir/$2.key" -days "$days" \
        -set_serial "0x$(openssl rand -hex 8)" -extfile "$cnf" -extensions "$3" \
        -out "$dir/$1.pem"
}

make_ca ca "libbentogrpc test CA"
make_leaf server ca server_ext localhost
make_leaf client ca client_ext "libbentogrpc test client"
make_ca other-ca "libbentogrpc unrelated test CA"
make_leaf other-server other-ca server_ext localhost
make_leaf wrongname ca wrongname_ext other.example

# The client key under a passphrase: a library must refuse it, never prompt for it.
run pkey -in "$dir/client.key" -aes256 -passout pass:secret -out "$dir/client-encrypted.key"

# Sanity: the chains verify (and the unrelated one does not).
run verify -CAfile "$dir/ca.pem" "$dir/server.pem" "$dir/client.pem" "$dir/wrongname.pem"
run verify -CAfile "$dir/other-ca.pem" "$dir/other-server.pem"
if openssl verify -CAfile "$dir/ca.pem" "$dir/other-server.pem" >/dev/null 2>&1; then
    echo "$0: other-server.pem unexpectedly verifies against ca.pem" >&2
    exit 1
fi
