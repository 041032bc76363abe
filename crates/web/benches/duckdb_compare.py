"""DuckDB's side of the national analytics benchmark (benches/national.rs).

Reads the CSV the benchmark wrote, writes it to Parquet (before any clock starts), and times
the same three questions over the Parquet file with two threads: the median of five runs
after one warm-up. Prints one JSON object of seconds.

Usage: python3 duckdb_compare.py VALUES.csv '{"indicator": …, "province": …, "quarter": […], "month": …}'
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def main() -> None:
    csv_path, params = sys.argv[1], json.loads(sys.argv[2])
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    parquet = Path(tempfile.mkdtemp()) / "values.parquet"
    started = time.perf_counter()
    connection.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', header = true, "
        "columns = {'agency': 'VARCHAR', 'province': 'VARCHAR', 'level': 'VARCHAR', "
        "'period': 'VARCHAR', 'indicator': 'VARCHAR', 'sex': 'VARCHAR', 'area': 'VARCHAR', "
        f"'value': 'DOUBLE'}})) TO '{parquet}' (FORMAT parquet)"
    )
    prepare = time.perf_counter() - started
    connection.execute(f"CREATE VIEW v AS SELECT * FROM read_parquet('{parquet}')")
    quarter = ", ".join(f"'{p}'" for p in params["quarter"])
    questions = {
        # (a) one indicator by province × month over every month.
        "a": f"""SELECT province, period, SUM(value) FROM v
                 WHERE indicator = '{params["indicator"]}' AND level = 'commune'
                 GROUP BY province, period""",
        # (b) every indicator for one province and one quarter.
        "b": f"""SELECT indicator, SUM(value) FROM v
                 WHERE province = '{params["province"]}' AND period IN ({quarter})
                 GROUP BY indicator""",
        # (c) every indicator for the communes of one province, one month.
        "c": f"""SELECT agency, indicator, SUM(value) FROM v
                 WHERE province = '{params["province"]}' AND period = '{params["month"]}'
                 GROUP BY agency, indicator""",
    }
    answer = {"prepare": prepare, "version": duckdb.__version__, "threads": 2}
    for key, sql in questions.items():
        connection.execute(sql).fetchall()
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            connection.execute(sql).fetchall()
            runs.append(time.perf_counter() - started)
        answer[key] = statistics.median(runs)
    parquet.unlink()
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
