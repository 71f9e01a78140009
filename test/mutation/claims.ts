// The claims tests (records, verdict rules, report) in one process, for mutation testing (scripts/mutate.ts).
import "../unit/claims-report.test";
import "../unit/claims-record.test";
