/**
 * @virtkit/linux-guest — Debian 12's i386 kernel and busybox, fetched with apt and packed
 * into per-monitor initramfs images for the Linux end-to-end tests.
 */
export { ensureLinuxGuest, defaultCacheDir, linuxCacheDir, KERNEL_FLAVOUR, KERNEL_META_PACKAGE, BUSYBOX_PACKAGE } from "./guest.js";
export type { EnsureLinuxGuestOptions, LinuxGuest } from "./guest.js";
export { LINUX_FLAVOURS, isLinuxFlavour } from "./flavours.js";
export type { LinuxFlavour, FlavourSpec } from "./flavours.js";
export { buildInitramfs, initScript, INIT_READY_MARKER, INIT_SHELL_EXIT_MARKER, MODULE_LIST_PATH } from "./initramfs.js";
export type { InitramfsInput, InitramfsImage } from "./initramfs.js";
export { writeCpio, parseCpio, CpioTree, CpioError, NEWC_MAGIC, NEWC_HEADER_SIZE, CPIO_TRAILER, S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK } from "./cpio.js";
export type { CpioEntry, CpioKind, CpioWriteOptions } from "./cpio.js";
export { ModuleTree, ModuleError, resolveModules, formatModulesDep, readModinfo, readModuleFile, moduleNameOfFile, normaliseModuleName } from "./modules.js";
export type { ModuleInfo, ModuleResolution } from "./modules.js";
export { DebianError, kernelPackageFromDepends } from "./debian.js";
export type { Log } from "./debian.js";
