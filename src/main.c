/* phoneboot: the command. It parses arguments and renders results; the
 * library does the work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fleet_cli.h"

static void usage(FILE *f)
{
	fputs("usage: phoneboot COMMAND [OPTIONS]\n"
	      "\n"
	      "A desk phone in a box: sign in as a chosen phone's firmware would,\n"
	      "and say why it cannot.\n"
	      "\n"
	      "commands:\n"
	      "  logon USER@DOMAIN --profile ID   boot an emulated phone end to end\n"
	      "  cert [--profile ID|FILE]... INPUT...\n"
	      "                                   what each profile makes of a certificate\n"
	      "                                   chain (a PEM/DER/PKCS#7 file or HOST:PORT)\n"
	      "  profiles [ID]                    the device catalog, or one profile and\n"
	      "                                   its sources\n"
	      "  fleet --count N|--csv FILE ...   many phones at once on one loop: progress,\n"
	      "                                   JSON Lines, a summary (--merge: of shards)\n"
	      "  matrix USER@DOMAIN --profile ID... --path NAME=dns:IP...\n"
	      "                                   profiles x network paths, one table\n"
	      "\n"
	      "'phoneboot COMMAND --help' tells more. Exit codes: 0 signed in / usable,\n"
	      "1 failed or unusable (diagnosed), 2 usage or input error, 3 internal error.\n",
	      f);
}

int main(int argc, char **argv)
{
	/* the emulated phone has no ldap.conf: the host's (TLS settings, BASE,
	 * URI) must not change what the phone does, nor cost start-up time */
	setenv("LDAPNOINIT", "1", 1);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("phoneboot %s\n", PB_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "profiles"))
		return cmd_profiles(argc - 1, argv + 1);
	if (!strcmp(argv[1], "logon"))
		return cmd_logon(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cert"))
		return cmd_cert(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fleet"))
		return cmd_fleet(argc - 1, argv + 1);
	if (!strcmp(argv[1], "matrix"))
		return cmd_matrix(argc - 1, argv + 1);
	fprintf(stderr, "phoneboot: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
