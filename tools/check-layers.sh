#!/usr/bin/env bash
# Checks user/'s include graph against its floors (README "Layout"):
#   main -> agent, cli -> serve, otlp -> answers -> naming, k8s -> core -> lib
# Every quoted include must name a folder on the same floor or a lower one,
# and headers must not include each other in a circle. Prints each offence
# and exits 1 if there is any.
set -u
cd "$(dirname "$0")/../user"

floor() {
	case $1 in
	lib) echo 0 ;; core) echo 1 ;; naming | k8s) echo 2 ;; answers) echo 3 ;;
	serve | otlp) echo 4 ;; agent | cli) echo 5 ;; .) echo 6 ;; *) echo -1 ;;
	esac
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in main.c */*.c */*.h; do
	dir=$(dirname "$f")
	from=$(floor "$dir")
	while read -r inc; do
		case $inc in
		meshsight_events.h | meshsight.skel.h | tls.skel.h | page_html.h) continue ;;
		*/*) ;;
		*) echo "layers: $f includes \"$inc\" without its folder"; bad=1; continue ;;
		esac
		to=$(floor "${inc%%/*}")
		if [ ! -f "$inc" ]; then
			echo "layers: $f includes \"$inc\", which does not exist"
			bad=1
		elif [ "$to" -lt 0 ] || [ "$to" -gt "$from" ]; then
			echo "layers: $f ($dir) includes \"$inc\", a higher floor: move the code down or invert the call"
			bad=1
		fi
		case $f in *.h) echo "$f $inc" >>"$edges" ;; esac
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
# tsort reports a circle among the headers on stderr.
if ! tsort "$edges" >/dev/null 2>&1; then
	echo "layers: headers include each other in a circle:"
	tsort "$edges" 2>&1 >/dev/null | sed 's/^/  /'
	bad=1
fi
[ "$bad" -eq 0 ] && echo "layers: every include points to the same or a lower floor, no circle"
exit "$bad"
