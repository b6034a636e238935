DROP TABLE check_in_scans;
DROP TABLE check_ins;
