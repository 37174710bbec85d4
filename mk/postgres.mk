# PostgreSQL backend (src/store/postgres, src/blob/pg_blob_store): libpq to build; the
# server binaries (initdb, pg_ctl, postgres) for the throw-away cluster `make test` starts
# (scripts/pg_test_cluster.sh) and pgbench for bench/pg. util-linux has runuser (the cluster
# runs as the postgres user when the tests run as root).
APT_PACKAGES += postgresql-15 postgresql-client-15 libpq-dev util-linux
