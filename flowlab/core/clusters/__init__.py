"""The Dask clusters flowlab runs on: the default local one, a persistent one started with
``flowlab cluster up``, any scheduler given, and the plugins flowlab puts on their workers."""
