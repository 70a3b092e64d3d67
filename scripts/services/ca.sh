#!/usr/bin/env bash
# A throwaway certificate authority and host certificates made with openssl, for tests and a first try of
# Pando over TLS. Real deployments use certificates of a public CA or of the site's own (docs/deployment.md).
#   scripts/services/ca.sh init DIR                      a CA in DIR: ca.pem (give to clients: --ca / PANDO_CA), ca.key
#   scripts/services/ca.sh host DIR NAME [SAN…]          DIR/NAME.pem and DIR/NAME.key, signed by the CA; each SAN an
#                                                        IP address (127.0.0.1, 198.18.0.2) or a DNS name; default: NAME
#   scripts/services/ca.sh expired DIR NAME [SAN…]       the same, but a certificate whose validity ended yesterday
#   scripts/services/ca.sh other DIR                     a second, unrelated CA in DIR/other-ca.pem (a wrong-CA test)
# Keys are RSA 2048 (ActiveMQ's and RabbitMQ's Java/Erlang TLS read them as well as OpenSSL does); certificates
# last PANDO_CA_DAYS days (30). Files are written mode 600 (keys) / 644 (certificates); existing ones are replaced.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-}
dir=${2:-}
days=${PANDO_CA_DAYS:-30}

usage() { echo "usage: $0 init DIR | host DIR NAME [SAN…] | expired DIR NAME [SAN…] | other DIR" >&2; exit 2; }
[ -n "$dir" ] || usage
ensure_package openssl openssl

# Makes a self-signed CA: $1 the file stem in $dir, $2 its subject name.
make_ca() { # stem name
  (umask 077; openssl genrsa -out "$dir/$1.key" 2048 2>/dev/null)
  openssl req -x509 -new -key "$dir/$1.key" -sha256 -days "$days" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/$1.pem"
  chmod 644 "$dir/$1.pem"
}

# The subjectAltName value of the SANs given (NAME alone when none): IP: for addresses, DNS: for names.
san_list() { # name san...
  local name=$1; shift
  [ $# -gt 0 ] || set -- "$name"
  local out="" s
  for s in "$@"; do
    if [[ $s =~ ^[0-9.]+$ || $s == *:* ]]; then out+="${out:+,}IP:$s"; else out+="${out:+,}DNS:$s"; fi
  done
  echo "$out"
}

# Signs a host certificate with the CA; $1 "valid" or "expired".
make_host() { # valid|expired name san...
  local kind=$1 name=$2; shift 2
  [ -f "$dir/ca.pem" ] || { echo "no CA in $dir: run $0 init $dir first" >&2; exit 1; }
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { echo "'$name' is not a file name for a host certificate" >&2; exit 2; }
  local ext; ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$(san_list "$name" "$@")" > "$ext"
  (umask 077; openssl genrsa -out "$dir/$name.key" 2048 2>/dev/null)
  openssl req -new -key "$dir/$name.key" -subj "/CN=$name" -out "$dir/$name.csr"
  if [ "$kind" = expired ]; then
    # x509 -req takes no start date: the CA signs with `openssl ca`, whose validity window can lie in the past.
    local db; db=$(mktemp -d)
    touch "$db/index.txt"
    printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' \
      "$db" "$db" "$db" > "$db/ca.cnf"
    openssl rand -hex 16 > "$db/serial"
    openssl ca -batch -config "$db/ca.cnf" -cert "$dir/ca.pem" -keyfile "$dir/ca.key" -in "$dir/$name.csr" -out "$dir/$name.pem" \
      -startdate "$(date -u -d '-2 days' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" -extfile "$ext" -notext 2>/dev/null
    rm -rf "$db"
  else
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -sha256 -days "$days" \
      -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null
  fi
  chmod 644 "$dir/$name.pem"
  rm -f "$dir/$name.csr" "$ext"
  echo "$dir/$name.pem ($kind, $(san_list "$name" "$@")), key $dir/$name.key"
}

case "$cmd" in
  init) mkdir -p "$dir"; make_ca ca "Pando test CA"; echo "CA in $dir/ca.pem (clients: --ca $dir/ca.pem or PANDO_CA)" ;;
  host) [ $# -ge 3 ] || usage; make_host valid "$3" "${@:4}" ;;
  expired) [ $# -ge 3 ] || usage; make_host expired "$3" "${@:4}" ;;
  other) mkdir -p "$dir"; make_ca other-ca "Another CA"; echo "unrelated CA in $dir/other-ca.pem" ;;
  *) usage ;;
esac
