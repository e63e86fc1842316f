"""How runs live beside each other on one machine (DESIGN §5): a warehouse held by one live run
at a time, waiting that costs nothing, a stop on SIGTERM or Ctrl-C within seconds, and child
processes that die with the run. Plain Python and the kernel's locks; no Dagster here."""
