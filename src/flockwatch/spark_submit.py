"""The ``spark-submit`` entry point: the flockwatch CLI run as a Spark application.

Consumes the flockwatch command line (``detect --workspace DIR --engine spark [--parquet URI] ...``); produces what
that command produces. spark-submit needs a Python *file*; this is it::

    spark-submit --master yarn --deploy-mode client \\
        "$(python -c 'import flockwatch.spark_submit as m; print(m.__file__)')" \\
        detect --workspace cases/hk2019 --engine spark --parquet hdfs:///flockwatch/hk2019/canonical

Without ``--master`` on the flockwatch command line the session takes spark-submit's master and settings. The
workspace (where edges and networks are stored) is on the driver, hence client mode; docs/spark.md is the guide.
"""

from __future__ import annotations


def main() -> None:
    from flockwatch.cli.app import main as cli_main

    raise SystemExit(cli_main())


if __name__ == "__main__":
    main()
