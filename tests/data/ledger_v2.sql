-- A schema-2 ledger exactly as protestlog's own code at commit f30fae8 wrote it (sqlite3 .dump of its file,
-- with the two header pragmas .dump leaves out). Made with that commit's tree (git archive f30fae8 src):
--   add --date 2023-01-09 --region Puno --province "San Román" --place Juliaca --killed 17 --source
--   "Defensoría del Pueblo" --url https://example.org/defensoria ...; import of a 2-row CSV, one row with
--   a 'sources' JSON list of two; amend 1 --killed 18; retract 2; milestone add 2023-01-20 "Toma de Lima".
-- That release stored each entry's sources as json.dumps(sources, ensure_ascii=False): ", " and ": "
-- separators, keys in the writer's order (name, accessed, url), while its hash covers the canonical form.
PRAGMA application_id = 1886154599;
PRAGMA user_version = 2;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL CHECK (record_id > 0),
    revision INTEGER NOT NULL CHECK (revision > 0),
    action TEXT NOT NULL CHECK (action IN ('create', 'amend', 'retract')),
    recorded_at TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'),
    recorded_by TEXT NOT NULL,
    reason TEXT,
    date TEXT NOT NULL CHECK (date IS NULL OR (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' AND date(date, '+0 days') = date)),
    end_date TEXT CHECK ((end_date IS NULL OR (end_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' AND date(end_date, '+0 days') = end_date)) AND (end_date IS NULL OR end_date > date)),
    date_precision TEXT NOT NULL DEFAULT 'day' CHECK (date_precision IN ('day', 'week', 'month')),
    region TEXT NOT NULL,
    province TEXT,
    place TEXT,
    killed INTEGER NOT NULL CHECK (killed IS NULL OR (typeof(killed) = 'integer' AND killed >= 0)),
    killed_low INTEGER CHECK ((killed_low IS NULL OR (typeof(killed_low) = 'integer' AND killed_low >= 0)) AND (killed_low IS NULL OR killed_low <= killed)),
    killed_high INTEGER CHECK ((killed_high IS NULL OR (typeof(killed_high) = 'integer' AND killed_high >= 0)) AND (killed_high IS NULL OR killed_high >= killed)),
    killed_reported TEXT,
    injured INTEGER CHECK (injured IS NULL OR (typeof(injured) = 'integer' AND injured >= 0)),
    injured_low INTEGER CHECK ((injured_low IS NULL OR (typeof(injured_low) = 'integer' AND injured_low >= 0)) AND (injured_low IS NULL OR injured_low <= injured)),
    injured_high INTEGER CHECK ((injured_high IS NULL OR (typeof(injured_high) = 'integer' AND injured_high >= 0)) AND (injured_high IS NULL OR injured_high >= injured)),
    injured_reported TEXT,
    detained INTEGER CHECK (detained IS NULL OR (typeof(detained) = 'integer' AND detained >= 0)),
    minors INTEGER CHECK ((minors IS NULL OR (typeof(minors) = 'integer' AND minors >= 0)) AND (minors IS NULL OR minors <= killed)),
    "group" TEXT NOT NULL CHECK ("group" IN ('civilian', 'police', 'military', 'unknown')),
    circumstance TEXT CHECK (circumstance IS NULL OR circumstance IN
        ('clash with security forces', 'blockade-related accident', 'other')),
    cause TEXT NOT NULL CHECK (cause IN
        ('firearm', 'pellets', 'tear gas', 'blunt force', 'burns', 'vehicle', 'other', 'unknown')),
    confidence TEXT NOT NULL CHECK (confidence IN ('confirmed', 'probable', 'unverified', 'contested')),
    sources TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources) AND json_type(sources) = 'array'),
    note TEXT,
    external_id TEXT,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64), batch_id INTEGER, fingerprint TEXT,
    UNIQUE (record_id, revision)
);
INSERT INTO entries VALUES(1,1,1,'create','2026-11-30T07:06:16.934956Z','release-f30fae8',NULL,'2023-01-09',NULL,'day','Puno','San Román','Juliaca',17,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'civilian',NULL,'firearm','confirmed','[{"name": "Defensoría del Pueblo", "accessed": "2026-11-30", "url": "https://example.org/defensoria"}]','Juliaca, día más letal',NULL,'0000000000000000000000000000000000000000000000000000000000000000','cd6bee9b1eb125e2e8497811050b5d7124774f78910ad5265fd20cdc41b9d716',NULL,'3696b1e9632410d535950623c011eeebd3f8322e2180c5fa37b2a6f8a7bbfa6c');
INSERT INTO entries VALUES(2,2,1,'create','2026-11-30T07:06:17.277794Z','release-f30fae8',NULL,'2022-12-15',NULL,'day','Ayacucho',NULL,'Huamanga',7,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'civilian',NULL,'firearm','probable','[{"name": "HRW", "accessed": "2026-11-30", "url": "https://example.org/hrw"}, {"name": "IDL «Ayacucho»", "accessed": "2023-02-01"}]',NULL,NULL,'cd6bee9b1eb125e2e8497811050b5d7124774f78910ad5265fd20cdc41b9d716','c3574086db7fefad0cb985e4f68872ec865c7e32acd1c5e58bcecc6031c02a8c',1,'0732c25e84c7ab8e14c28ec67525fa4ae4516b150b9a04a6a4780c0c4d7fc92c');
INSERT INTO entries VALUES(3,3,1,'create','2026-11-30T07:06:17.277794Z','release-f30fae8',NULL,'2023-01-10',NULL,'day','Cusco',NULL,'Cusco',1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'civilian',NULL,'firearm','confirmed','[]',NULL,NULL,'c3574086db7fefad0cb985e4f68872ec865c7e32acd1c5e58bcecc6031c02a8c','0f15298a32af057e045e3dee768c53712407ed24d0671b0d7d19d3c632924413',1,'3acb4ac3dc142ea7cc4174cdd20116798b0076a815cf1931592938eaacc9e3ca');
INSERT INTO entries VALUES(4,1,2,'amend','2026-11-30T07:06:17.635786Z','release-f30fae8','una muerte más','2023-01-09',NULL,'day','Puno','San Román','Juliaca',18,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'civilian',NULL,'firearm','confirmed','[{"name": "Defensoría del Pueblo", "accessed": "2026-11-30", "url": "https://example.org/defensoria"}]','Juliaca, día más letal',NULL,'0f15298a32af057e045e3dee768c53712407ed24d0671b0d7d19d3c632924413','6305d0f3674ecbca42020c209fa591ffb700bb0c67e6315d2c73dd87c096db5d',NULL,'92fe58b9ed4d31781efd1ff0225887890f6f52b2bf9f3e37a6c7cb3dfa3e6324');
INSERT INTO entries VALUES(5,2,2,'retract','2026-11-30T07:06:17.987317Z','release-f30fae8','duplicado','2022-12-15',NULL,'day','Ayacucho',NULL,'Huamanga',7,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'civilian',NULL,'firearm','probable','[{"name": "HRW", "accessed": "2026-11-30", "url": "https://example.org/hrw"}, {"name": "IDL «Ayacucho»", "accessed": "2023-02-01"}]',NULL,NULL,'6305d0f3674ecbca42020c209fa591ffb700bb0c67e6315d2c73dd87c096db5d','decf242bfdc78f2eec946ccf32868b5696ef9e5f5cb6d1673f1846dba2760b6f',NULL,NULL);
CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    date TEXT NOT NULL CHECK (date IS NULL OR (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' AND date(date, '+0 days') = date)),
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
INSERT INTO milestones VALUES(1,'2022-12-07','Protests begin','2026-11-30T07:06:16.919843Z','release-f30fae8');
INSERT INTO milestones VALUES(2,'2022-12-15','State of emergency declared','2026-11-30T07:06:16.919843Z','release-f30fae8');
INSERT INTO milestones VALUES(3,'2023-01-20','Toma de Lima','2026-11-30T07:06:18.396787Z','release-f30fae8');
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    format TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    rows INTEGER NOT NULL CHECK (rows >= 0),
    added INTEGER NOT NULL CHECK (added >= 0),
    already_present INTEGER NOT NULL CHECK (already_present >= 0)
);
INSERT INTO imports VALUES(1,'in.csv','f296afdd82f2c80ed67b8e514ab3849186564659cbadcbfe907eb91ab9a66aa7','csv','2026-11-30T07:06:17.290052Z','release-f30fae8',2,2,0);
CREATE INDEX entries_record ON entries (record_id, seq);
CREATE INDEX entries_recorded_at ON entries (recorded_at);
CREATE INDEX entries_date ON entries (date);
CREATE INDEX entries_external_id ON entries (external_id) WHERE external_id IS NOT NULL;
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: entries cannot be deleted'); END;
CREATE TRIGGER milestones_append_only_update BEFORE UPDATE ON milestones
    BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
CREATE TRIGGER milestones_append_only_delete BEFORE DELETE ON milestones
    BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
CREATE INDEX entries_fingerprint ON entries (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX entries_batch ON entries (batch_id) WHERE batch_id IS NOT NULL;
CREATE TRIGGER imports_append_only_update BEFORE UPDATE ON imports
    BEGIN SELECT RAISE(ABORT, 'import batches are append-only'); END;
CREATE TRIGGER imports_append_only_delete BEFORE DELETE ON imports
    BEGIN SELECT RAISE(ABORT, 'import batches are append-only'); END;
COMMIT;
