"""Real clients of DHIS2 and SDMX, unchanged, against a running baocao.

Usage: peers.py BASE_URL

- dhis2.py and dhis2-client push a data value set through DHIS2's own paths and read it back
  (JSON, CSV, DHIS2's XML), and read the server and the user as DHIS2 describes them;
- openpyxl fills the report's workbook with formulas, which it stores without results; the
  upload imports the values they compute;
- openapi-python-client generates a client from the API document, which then calls the API;
  so does openapi-generator's TypeScript generator, its client checked by `tsc --strict`;
  its Rust generator writes a crate that compiles;
- sdmx1 lists the dataflows and reads every flow; pysdmx reads each flow as SDMX-ML 2.1
  (structure-specific and generic) and SDMX-CSV 1.0 and 2.0, and the structures as SDMX-ML and
  SDMX-JSON; every observation equals sdmx1's, and a sample of each flow equals the analytics
  API's number for the same indicator, agency, period and options.

Prints what it checked; exits non-zero at the first difference.
"""

import sys

import requests

BASE = sys.argv[1].rstrip("/")
ADMIN = ("admin", "demo")
SLOT = {"dataSet": "BC-KTXH-T", "period": "202611", "orgUnit": "01"}


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)


def dhis2_py():
    from dhis2 import Api

    api = Api(BASE, "hanoi", "demo", api_version=40)
    check(api.version_int == 40, f"dhis2.py reads the version: {api.version}")
    pushed = api.post(
        "dataValueSets",
        json={**SLOT, "dataValues": [
            {"dataElement": "KT04", "value": "101.5"},
            {"dataElement": "KT05", "categoryOptionCombo": "default", "value": "7"},
        ]},
    ).json()
    check(pushed["status"] == "OK", f"dhis2.py push: {pushed}")
    check(pushed["response"]["importCount"]["imported"] == 2, f"dhis2.py counts: {pushed}")
    back = api.get("dataValueSets", params=SLOT).json()
    values = {v["dataElement"]: v["value"] for v in back["dataValues"]}
    check(values.get("KT04") == "101.5" and values.get("KT05") == "7", f"dhis2.py reads back: {values}")
    csv = api.get("dataValueSets", file_type="csv", params=SLOT).text
    check("KT04,202611,01,default,,101.5" in csv, f"dhis2.py CSV: {csv}")
    xml = api.get("dataValueSets", file_type="xml", params=SLOT).text
    check('dataElement="KT05"' in xml and "<dataValueSet" in xml, f"dhis2.py XML: {xml}")
    me = api.get("me").json()
    check(me["organisationUnits"][0]["id"] == "01", f"dhis2.py me: {me}")
    print("dhis2.py: pushed 2, read back as JSON, CSV and XML", flush=True)


def dhis2_client():
    from dhis2_client import DHIS2Client

    client = DHIS2Client(base_url=BASE, username="hanoi", password="demo")
    info = client.get_system_info()
    check(info["version"].startswith("2."), f"dhis2-client system info: {info}")
    pushed = client.post_data_value_set(
        {**SLOT, "dataValues": [{"dataElement": "KT06", "value": "2388"}]}
    )
    check(pushed["status"] == "OK", f"dhis2-client push: {pushed}")
    back = client.get_data_value_set(SLOT)
    values = {v["dataElement"]: v["value"] for v in back["dataValues"]}
    check(values.get("KT06") == "2388", f"dhis2-client reads back: {values}")
    me = client.get_current_user()
    check(me["username"] == "hanoi", f"dhis2-client me: {me}")
    client.close()
    print("dhis2-client: pushed 1, read back", flush=True)


def openpyxl_formulas():
    """A workbook filled by openpyxl with formulas (stored without results) imports the values
    the formulas compute."""
    import io

    import openpyxl

    slot = f"{BASE}/api/v1/reports/BC-KTXH-T/01/202611"
    hanoi = ("hanoi", "demo")
    template = requests.get(f"{slot}/workbook", auth=hanoi)
    check(template.status_code == 200, f"workbook download: {template.status_code}")
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    rows = {sheet.cell(r, 1).value: r for r in range(1, sheet.max_row + 1)}
    column = next(c for c in range(1, sheet.max_column + 1) if sheet.cell(5, c).value == "this_period")
    letter = openpyxl.utils.get_column_letter(column)
    sheet.cell(rows["KT07|"], column).value = "=100+3.5"
    sheet.cell(rows["KT08|"], column).value = f"=ROUND({letter}{rows['KT07|']}*2,1)"
    out = io.BytesIO()
    book.save(out)
    uploaded = requests.post(f"{slot}/workbook", data=out.getvalue(), auth=hanoi,
                             headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    check(uploaded.status_code == 200, f"openpyxl workbook upload: {uploaded.status_code} {uploaded.text}")
    values = {v["row"]: v["value"] for v in uploaded.json()["values"] if v["column"] == "this_period"}
    check(values.get("KT07") == "103.5" and values.get("KT08") == "207",
          f"openpyxl formulas computed: {values}")
    print("openpyxl: a workbook of formulas without results imports their values", flush=True)


def generated_client():
    """openapi-python-client makes a client of the API document without edits; the client
    logs in and reads who it is."""
    import importlib
    import os
    import subprocess
    import tempfile

    work = tempfile.mkdtemp()
    document = os.path.join(work, "openapi.json")
    with open(document, "w", encoding="utf-8") as out:
        out.write(requests.get(f"{BASE}/api/v1/openapi.json").text)
    config = os.path.join(work, "config.yaml")
    with open(config, "w", encoding="utf-8") as out:
        out.write("project_name_override: baocao-client\npackage_name_override: baocao_client\n")
    generator = os.path.join(os.path.dirname(sys.executable), "openapi-python-client")
    run = subprocess.run(
        [generator, "generate", "--path", document, "--config", config,
         "--output-path", os.path.join(work, "client"), "--overwrite"],
        capture_output=True, text=True, timeout=600,
    )
    report = run.stdout + run.stderr
    check(run.returncode == 0, f"openapi-python-client failed: {report}")
    check("Unable to process schema" not in report, f"openapi-python-client dropped schemas: {report}")
    sys.path.insert(0, os.path.join(work, "client"))
    package = importlib.import_module("baocao_client")
    token = requests.post(f"{BASE}/api/v1/auth/token",
                          json={"username": "hanoi", "password": "demo"}).json()["token"]
    client = package.AuthenticatedClient(base_url=BASE, token=token)
    me = importlib.import_module("baocao_client.api.auth.get_api_v1_me").sync(client=client)
    check(me is not None and me.username == "hanoi", f"the generated client's me: {me}")
    print("openapi-python-client: a client generated from the document reads /api/v1/me", flush=True)


TYPESCRIPT_MAIN = """
declare const process: { argv: string[]; exit(code: number): never };
import { Configuration, AuthApi } from "./index";

async function main(): Promise<void> {
  const base = process.argv[2];
  const auth = new AuthApi(new Configuration({ basePath: base }));
  const token = await auth.postApiV1AuthToken({ credentials: { username: "hanoi", password: "demo" } });
  const signedIn = new AuthApi(new Configuration({ basePath: base, accessToken: token.token }));
  const me = await signedIn.getApiV1Me();
  console.log(me.username);
}
main().catch((error) => { console.error(error); process.exit(1); });
"""


def openapi_generated(language, *options):
    """The client openapi-generator writes in `language` from the served API document, in a
    new directory; fails the run if the generator reports an error."""
    import os
    import subprocess
    import tempfile

    work = tempfile.mkdtemp()
    document = os.path.join(work, "openapi.json")
    with open(document, "w", encoding="utf-8") as out:
        out.write(requests.get(f"{BASE}/api/v1/openapi.json").text)
    generator = os.path.join(os.path.dirname(sys.executable), "openapi-generator-cli")
    client = os.path.join(work, "client")
    run = subprocess.run(
        [generator, "generate", "-i", document, "-g", language, "-o", client, *options],
        capture_output=True, text=True, timeout=600,
    )
    report = run.stdout + run.stderr
    check(run.returncode == 0 and "ERROR" not in report,
          f"openapi-generator {language} failed: {report}")
    return client


def typescript_client():
    """openapi-generator's TypeScript generator makes a client of the API document without
    edits; it type-checks under `tsc --strict`, and compiled, it logs in and reads who it is."""
    import os
    import subprocess

    tsc = os.environ.get("BAOCAO_PEER_TSC")
    check(tsc is not None and os.path.exists(tsc), f"TypeScript's compiler is installed: {tsc}")
    client = openapi_generated("typescript-fetch")
    with open(os.path.join(client, "main.ts"), "w", encoding="utf-8") as out:
        out.write(TYPESCRIPT_MAIN)
    compiled = subprocess.run(
        [tsc, "--strict", "--target", "es2020", "--module", "commonjs", "--moduleResolution",
         "node", "--lib", "es2020,dom", "--outDir", os.path.join(client, "out"),
         os.path.join(client, "main.ts")],
        capture_output=True, text=True, timeout=600,
    )
    check(compiled.returncode == 0, f"tsc --strict on the generated client: {compiled.stdout}{compiled.stderr}")
    ran = subprocess.run(["node", os.path.join(client, "out", "main.js"), BASE],
                         capture_output=True, text=True, timeout=120)
    check(ran.returncode == 0 and ran.stdout.strip() == "hanoi",
          f"the generated TypeScript client's me: {ran.stdout}{ran.stderr}")
    print("openapi-generator typescript-fetch: the client type-checks strictly and reads /api/v1/me",
          flush=True)


def rust_client():
    """openapi-generator's Rust generator makes a crate of the API document that compiles
    without edits (`cargo check`; its build is kept beside the workspace's)."""
    import os
    import subprocess

    client = openapi_generated("rust", "--additional-properties=packageName=baocao_client")
    target = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.dirname(client)),
                          "peer-rust-client")
    built = subprocess.run(
        ["cargo", "check", "--quiet", "--no-default-features", "--features", "rustls",
         "--target-dir", target],
        cwd=client, capture_output=True, text=True, timeout=1200,
    )
    check(built.returncode == 0, f"the generated Rust client does not compile: {built.stderr[-4000:]}")
    print("openapi-generator rust: the generated crate compiles", flush=True)


def baocao_period(sdmx_period):
    """SDMX's 2026-01, 2026-Q1, 2026-S1, 2026 as baocao's period id."""
    year, _, rest = str(sdmx_period).partition("-")
    if not rest:
        return year
    if rest[0] in "QS":
        return year + rest
    return year + rest


def analytics(indicator, agency, period, options):
    params = {"indicator": indicator, "agency": agency, "period": period}
    if options:
        params["disaggregate"] = ",".join(options)
    rows = requests.get(f"{BASE}/api/v1/analytics", params=params, auth=ADMIN).json()["rows"]
    for row in rows:
        if row["options"] == options:
            return row["value"]
    return None


def code(value):
    """A code as text; CSV readers take `01` for the number 1, so leading zeros are dropped."""
    text = str(value)
    return text.lstrip("0") or "0"


def sdmx_clients():
    import sdmx
    from pysdmx.io import read_sdmx

    sdmx.add_source({"id": "BAOCAO", "url": f"{BASE}/api/v1/sdmx", "name": "baocao"})
    client = sdmx.Client("BAOCAO")
    client.session.auth = ADMIN
    flows = list(client.dataflow().dataflow)
    check(len(flows) > 0, "sdmx1 lists dataflows")
    compared = 0
    for flow in flows:
        message = client.data(flow)
        series = sdmx.to_pandas(message)
        observations = {}
        points = []
        for key, value in series.items():
            point = dict(zip(series.index.names, key if isinstance(key, tuple) else (key,)))
            points.append((point, float(value)))
            observations[tuple(sorted((k, code(v)) for k, v in point.items()))] = float(value)
        # A sample checked against the analytics API.
        for point, value in points[:3]:
            options = {
                k.lower(): v for k, v in point.items()
                if k not in ("INDICATOR", "REF_AREA", "TIME_PERIOD") and v != "_T"
            }
            expected = analytics(point["INDICATOR"], point["REF_AREA"],
                                 baocao_period(point["TIME_PERIOD"]), options)
            check(expected is not None and abs(expected - value) < 1e-9,
                  f"sdmx1 {flow} {point} = {value}, analytics says {expected}")
            compared += 1
        # pysdmx reads the same observations in every representation it knows.
        for accept in [
            "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
            "application/vnd.sdmx.genericdata+xml;version=2.1",
            "application/vnd.sdmx.data+csv;version=1.0.0",
            "application/vnd.sdmx.data+csv;version=2.0.0",
        ]:
            answer = requests.get(f"{BASE}/api/v1/sdmx/data/{flow}/all",
                                  headers={"Accept": accept}, auth=ADMIN)
            check(answer.status_code == 200, f"{flow} as {accept}: {answer.status_code}")
            if not observations and "csv" in accept:
                # pysdmx refuses an SDMX-CSV file of a header alone (a flow without data).
                check(len(answer.text.strip().splitlines()) == 1, f"{flow}: an empty CSV")
                continue
            data = read_sdmx(answer.text).data
            frame = data[0].data if data else None
            count = 0 if frame is None else len(frame)
            check(count == len(observations),
                  f"pysdmx {flow} as {accept}: {count} observations, sdmx1 {len(observations)}")
            if count:
                for _, row in frame.iterrows():
                    point = tuple(sorted(
                        (k, code(v)) for k, v in row.items() if k not in ("OBS_VALUE", "DATAFLOW", "STRUCTURE", "STRUCTURE_ID", "ACTION")
                    ))
                    check(point in observations and abs(observations[point] - float(row["OBS_VALUE"])) < 1e-9,
                          f"pysdmx {flow} as {accept}: {point} = {row['OBS_VALUE']}")
    check(compared >= 9, f"only {compared} observations compared with the analytics API")
    for accept in ["application/vnd.sdmx.structure+xml;version=2.1",
                   "application/vnd.sdmx.structure+json;version=2.0.0"]:
        answer = requests.get(f"{BASE}/api/v1/sdmx/dataflow/BAOCAO/{flows[0]}/latest",
                              params={"references": "all"}, headers={"Accept": accept}, auth=ADMIN)
        dsds = read_sdmx(answer.text).get_data_structure_definitions()
        check(len(dsds) == 1 and dsds[0].components["TIME_PERIOD"] is not None,
              f"pysdmx reads the structure as {accept}")
    print(f"sdmx1 and pysdmx: {len(flows)} flows read alike in 5 representations; "
          f"{compared} observations equal to the analytics API's", flush=True)


dhis2_py()
dhis2_client()
openpyxl_formulas()
generated_client()
typescript_client()
rust_client()
sdmx_clients()
print("OK", flush=True)
