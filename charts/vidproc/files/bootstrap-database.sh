#!/bin/sh
# vidproc's own database user, made with the admin's (the RDS master's) credentials; safe to run
# again. The user owns the database, its public schema and what the admin owned in it (an install
# that ran as the master before). Its twin <user>_clone acts as <user> (SET ROLE at login): the
# alternating-users rotation swaps the secret between the two, and whichever logs in, the objects
# the migrations create belong to <user>. The password is set only when the user is made: after
# that, the rotation owns it.
set -eu
app="${APP_DB_USER%_clone}"
psql -v ON_ERROR_STOP=1 -v app="$app" -v pw="$APP_DB_PASSWORD" -v db="$PGDATABASE" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app', :'pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('GRANT %I TO CURRENT_USER', :'app') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app' || '_clone')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app' || '_clone') \gexec
SELECT format('GRANT %I TO %I', :'app', :'app' || '_clone') \gexec
SELECT format('ALTER ROLE %I SET role = %L', :'app' || '_clone', :'app') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'app') \gexec
SELECT format('ALTER SCHEMA public OWNER TO %I', :'app') \gexec
SELECT format('ALTER %s %s OWNER TO %I',
         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
         c.oid::regclass, :'app')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public'
    AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))) \gexec
SQL
echo "database user $app (and ${app}_clone) ready"
