{#-
    Nothing to override yet: every macro resolves chdb__ -> clickhouse__ -> default__, so the
    dbt-clickhouse macros and materializations run unchanged on chDB. Add chdb__<name> here only
    for a behaviour chDB really lacks.
-#}
