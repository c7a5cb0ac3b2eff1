"""What checking every GIS ZhKKh request against the official formats costs.

Plain Python, no Odoo: ``python3 bench/bench_gis_validation.py [N]``. Builds N
``importAnswer`` requests (an answer of about 600 characters, and a status
action) and N ``exportAppeal`` requests, without and with the check the
client makes before signing (``gis_schema.SchemaValidator.check_request``),
and prints the time per request of each and the ratio, measured in this run;
the schema's compilation (once per process) is timed apart.
"""

import datetime
import statistics
import sys
import time
import uuid

import plain_tools  # noqa: F401  bench/, beside this script: loads hgzm.tools
from hgzm.tools import gis_schema, gis_xml_build, gis_xml_common

ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ANSWER = (
    "Уважаемая Анна Петровна! Сообщаем, что 28.11 бригада управляющей "
    "организации устранила протечку кровли над вашей квартирой: заменён "
    "участок мягкой кровли площадью 12 кв. м, восстановлен примыкающий "
    "фартук. Акт выполненных работ хранится у диспетчера, копию можно "
    "получить в офисе по будням с 9 до 18. "
) * 2


def import_answer():
    header = gis_xml_build.RequestHeader.new(ORG)
    answerer = str(uuid.uuid4())
    appeal = str(uuid.uuid4())
    return gis_xml_build.build_import_answer_request(
        header,
        gis_xml_common.DEFAULT_IMPORT_ANSWER_VERSION,
        answer_actions=[
            gis_xml_build.AnswerAction(
                appeal_guid=appeal,
                answers=[gis_xml_build.AnswerData(answerer, text=ANSWER, send=True)],
            )
        ],
        appeal_actions=[
            gis_xml_build.AppealAction(appeal_guid=appeal, executed_by_guid=answerer)
        ],
    )


def export_appeal():
    header = gis_xml_build.RequestHeader.new(ORG)
    today = datetime.date(2026, 12, 6)
    return gis_xml_build.build_export_appeal_request(
        header,
        gis_xml_common.DEFAULT_EXPORT_APPEAL_VERSION,
        start_date=today - datetime.timedelta(days=3),
        end_date=today,
    )


def per_request(count, build, check=None):
    """Median of five runs of ``count`` requests, in ms per request."""
    runs = []
    for _run in range(5):
        started = time.perf_counter()
        for _index in range(count):
            body = build()
            if check:
                check(body)
        runs.append((time.perf_counter() - started) * 1000 / count)
    return statistics.median(runs)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    gis_schema.load_schema.cache_clear()
    started = time.perf_counter()
    validator = gis_schema.SchemaValidator()
    compiled = (time.perf_counter() - started) * 1000
    print(
        f"schema of the formats {gis_schema.FORMATS_VERSION} compiled once in "
        f"{compiled:.0f} ms"
    )
    for name, build, action in (
        ("importAnswer", import_answer, "importAnswer"),
        ("exportAppeal", export_appeal, "exportAppeal"),
    ):
        assert validator.envelope_problems(build()) == [], name
        bare = per_request(count, build)
        checked = per_request(
            count, build, lambda body, a=action: validator.check_request(body, a)
        )
        print(
            f"{name}: {count} requests, built {bare:.3f} ms each, built and "
            f"checked {checked:.3f} ms each: the check costs "
            f"{checked - bare:.3f} ms a request (ratio {checked / bare:.2f})"
        )


if __name__ == "__main__":
    main()
