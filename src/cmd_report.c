/* phoneboot report REPORT.json: a saved logon report rendered again, as
 * text, JSON or an HTML page; nothing is sent on the network. */
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "report.h"

enum pb_err cmd_report(const struct cli_args *a, int *verdict)
{
	struct report *rep = NULL;
	json_error_t jerr;
	json_t *doc;
	char err[256];
	enum pb_err rc;
	const char *path;

	if (a->n_pos != 1)
		return cli_error(PB_ERR_USAGE, "report: expected one REPORT.json (or '-'); "
				 "see phoneboot report --help");
	path = a->pos[0];
	doc = strcmp(path, "-") ? json_load_file(path, 0, &jerr)
				: json_loadf(stdin, 0, &jerr);
	if (!doc)
		return cli_error(json_error_code(&jerr) == json_error_cannot_open_file
				 ? PB_ERR_IO : PB_ERR_PARSE, "report: %s:%d: %s", path,
				 jerr.line, jerr.text);
	if ((rc = report_parse(doc, &rep, err, sizeof(err))) != PB_OK) {
		cli_error(rc, "report: %s: %s", path, err);
	} else {
		struct render_opts ro = { want_color(stdout), opt_set(a, OPT_QUIET), "report",
					  NULL, NULL, 0 };

		rc = render_report(a, rep, &ro, verdict);
	}
	report_free(rep);
	json_decref(doc);
	return rc;
}
