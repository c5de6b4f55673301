/*
 * attack: a hostile guest's tool against ringside's devices, run as root inside the guest.
 *
 *   attack SUBCOMMAND ARGS... [--option value]...
 *
 * Device attacks take the PCI address of a virtio function ("0000:00:03.0"): the tool
 * unbinds Linux's driver from it and drives the device itself through its BARs, with rings
 * in the physical RAM above the kernel's mem=192M. It leaves the device as the attack left
 * it (re-bind Linux's driver to bring it back). Results are key=value lines on stdout;
 * a failure prints error=... and exits 1.
 */
#include "attack.h"

struct command { const char *name; int (*run)(int argc, char **argv); const char *usage; };

static const struct command commands[] = {
	{ "console-flood", attack_console, "ADDR [--entries N --chunk B --per-kick N --kicks N]" },
	{ "rng-huge", attack_rng_huge, "ADDR [--entries N --chunk B]" },
	{ "rng-tiny", attack_rng_tiny, "ADDR [--entries N --rounds N --qsize N]" },
	{ "blk-unknown", attack_blk_unknown, "ADDR [--type T --data-entries N --chunk B --qsize N]" },
	{ "blk-oversize", attack_blk_oversize, "ADDR [--type 0|1 --bytes B]" },
	{ "reset-isr", attack_reset_isr, "ADDR [--read-isr 0|1]" },
	{ "packed-lies", attack_packed_lies, "ADDR CASE [--qsize N --wait MS --id N] (cases in attack-packed.c)" },
	{ "syn-flood", attack_syn_flood, "[--count N --port P --src LAST_OCTET]" },
	{ "rst-inwindow", attack_rst_inwindow, "[--port P --offset N --src LAST_OCTET]" },
	{ "idle-conns", attack_idle_conns, "N SECONDS [--port P]" },
	{ "no-read", attack_no_read, "N SECONDS [--rcvbuf B]" },
};

static int args_count;
static char **args;

u32 option(const char *name, u32 fallback) {
	for (int i = 0; i + 1 < args_count; i++)
		if (str_eq(args[i], name)) return parse_u32(args[i + 1]);
	return fallback;
}

static void usage(void) {
	out_str("usage: attack SUBCOMMAND ...\n");
	for (u32 i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		out_str("  attack ");
		out_str(commands[i].name);
		out_str(" ");
		out_str(commands[i].usage);
		out_str("\n");
	}
	die("no such subcommand");
}

int attack_main(int argc, char **argv) {
	if (argc < 2) usage();
	for (u32 i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (!str_eq(argv[1], commands[i].name)) continue;
		/* Positional arguments end at the first --option. */
		args_count = argc - 2;
		args = argv + 2;
		int positional = 0;
		while (positional < args_count && !(args[positional][0] == '-' && args[positional][1] == '-')) positional++;
		kv_str("attack", commands[i].name);
		int status = commands[i].run(positional, args);
		kv_str("result", status == 0 ? "done" : "failed");
		return status;
	}
	usage();
	return 1;
}
