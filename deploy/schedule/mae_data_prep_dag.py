"""Airflow DAG: nightly mae-spark data-prep (image drop of the day -> Parquet dataset).

Put this file in the DAGs folder; it needs the apache-airflow-providers-apache-spark package and
a Spark connection (default ``spark_default``) whose host is the cluster master (``yarn``,
``k8s://https://...``, ``spark://...``). Set the Airflow Variable ``mae_home`` to where
mae-spark is installed (default ``/opt/mae-spark``).

Reruns are safe (idempotent):

* ``check_done`` skips the run when ``<out>/_SUCCESS`` exists, so clearing or backfilling a
  finished day does nothing;
* data-prep writes to a hidden staging folder and publishes it with one rename, ``_SUCCESS``
  last, so a failed or killed attempt leaves no partial dataset and the retry starts clean;
* data-prep refuses to replace an existing dataset unless ``--overwrite`` is passed: trigger the
  DAG with ``{"overwrite": true}`` to rebuild a day deliberately.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

MAE_HOME = Variable.get("mae_home", default_var="/opt/mae-spark")
RAW = "hdfs:///raw/images/{{ ds }}"
OUT = "hdfs:///datasets/images/{{ ds }}"


def mae_spark_conf(path: str) -> dict[str, str]:
    """Reads deploy/conf/mae-spark.conf (spark-defaults format) into SparkSubmitOperator's conf."""
    conf = {}
    if not os.path.exists(path):
        return conf
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(" ")
            conf[key] = value.strip()
    return conf


with DAG(
    dag_id="mae_data_prep",
    description="Images of the day -> mae-spark Parquet dataset",
    schedule="15 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["mae-spark"],
) as dag:
    # Exit code 99 marks the task skipped, and with it the data-prep below.
    check_done = BashOperator(
        task_id="check_done",
        bash_command=(
            "if [ '{{ dag_run.conf.get(\"overwrite\", false) }}' != 'True' ] && "
            f"hdfs dfs -test -e {OUT}/_SUCCESS; then echo 'dataset already complete'; exit 99; fi"
        ),
        skip_on_exit_code=99,
    )

    data_prep = SparkSubmitOperator(
        task_id="data_prep",
        conn_id="spark_default",
        application=f"{MAE_HOME}/mae-dist/target/mae-spark-0.1.0-SNAPSHOT-cpu.jar",
        java_class="org.maespark.data.DataPrepMain",
        name="mae-data-prep-{{ ds }}",
        conf=mae_spark_conf(f"{MAE_HOME}/deploy/conf/mae-spark.conf"),
        num_executors=16,
        executor_cores=4,
        executor_memory="8g",
        driver_memory="4g",
        # Shipped to the driver's working directory (the connection may use cluster deploy mode).
        files=f"{MAE_HOME}/conf/data-prep.properties",
        application_args=[
            "--conf",
            "data-prep.properties",
            "--input",
            RAW,
            "--output",
            OUT,
            # A template cannot drop a list element: without overwrite the slot holds --verbose
            # (stack traces in the task log), which is what a scheduled job wants anyway.
            "{{ '--overwrite' if dag_run.conf.get('overwrite', false) else '--verbose' }}",
        ],
        execution_timeout=timedelta(hours=6),
    )

    check_done >> data_prep
