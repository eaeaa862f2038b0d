"""All the SQL of the pipeline, one module per family of tables.

Activities, the receiver and the status page call these functions; none of them writes SQL of its
own. A function takes the connection or pool it runs on, so the caller decides the transaction.
Workflow code never imports this package (the sandbox must not load asyncpg).
"""
