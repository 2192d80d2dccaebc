# scripts/: the measurements (docs/sweeps.md).
#   make sweep   [FULL=1] [SWEEP=cores,mtu,...] [SERVERS=...] [REPS=3] [DURATION=...] ...
#   make plots   [CSV=results/x.csv] [PLOTS_DIR=plots/out]
#   make summary [CSV=results/x.csv]
#   make profile SERVER=epoll [MODE=keepalive] ...
# Variables given on the make command line reach the scripts through the
# environment; the scripts document them.

sweep: all corpus
	scripts/sweep.sh

plots:
	scripts/plots.sh $(CSV) $(or $(PLOTS_DIR),plots/out)

summary:
	scripts/summary.sh $(CSV)

profile: all corpus
	scripts/profile.sh
