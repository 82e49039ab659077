/**
 * Defaults of `corral dev` that its command line shows in `--help` too; kept apart from
 * dev-cluster.ts, which loads the whole controller, so `corral --help` stays quick.
 */

/**
 * Cores a dev executor offers by default when the machine has fewer: the process driver does not
 * pin cores, so offering more than there are only lets more instances start, as a laptop cluster
 * for trying things out should (the README's tour scales an app to 8 one-core instances).
 */
export const DEV_MIN_CORES = 16;
