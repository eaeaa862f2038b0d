-- Runs once, when the `postgresql` volume is first initialized (/docker-entrypoint-initdb.d),
-- as the superuser of the postgres image. The incident pipeline gets its own database and role,
-- apart from Temporal's `temporal` and `temporal_visibility` (which auto-setup creates): it
-- cannot touch Temporal's tables, and it can move to a server of its own by changing one URL.
-- The worker applies migrations/ into it at start. \getenv needs psql 15+ (postgres:16 has 16).
\getenv incident_password INCIDENT_DB_PASSWORD
CREATE ROLE incident LOGIN PASSWORD :'incident_password';
CREATE DATABASE incidents OWNER incident;
