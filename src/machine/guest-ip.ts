// The guest's network configuration at boot, as the kernel's ip= parameter
// (Documentation/admin-guide/nfs/nfsroot.rst): the kernel sets up eth0 itself, so boot
// forks no DHCP client. The defaults match the host network's DHCP lease.

export interface GuestIpConfig {
  /** The guest's address (default 10.0.2.15). */
  address?: string;
  /** Default 10.0.2.2, the host network's router; "" for none (a card that is not the default route). */
  gateway?: string;
  /** Default 255.255.255.0. */
  netmask?: string;
  /** Default 10.0.2.2. */
  dns?: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The ip= value for `config` (client:server:gateway:netmask:hostname:device:autoconf:dns0). */
export function ipParameter(config: GuestIpConfig = {}): string {
  const address = config.address ?? "10.0.2.15";
  const gateway = config.gateway ?? "10.0.2.2";
  const netmask = config.netmask ?? "255.255.255.0";
  const dns = config.dns ?? "10.0.2.2";
  for (const [name, value] of [["address", address], ["gateway", gateway], ["netmask", netmask], ["dns", dns]] as const) {
    if (name === "gateway" && value === "") continue;
    if (!IPV4.test(value)) throw new RangeError(`guest IP configuration: ${name} "${value}" is not a dotted IPv4 address`);
  }
  return `ip=${address}::${gateway}:${netmask}:ringside:eth0:off:${dns}`;
}

/** `cmdline` with ip= added, unless it already configures the network itself. */
export function withGuestIpConfig(cmdline: string, config?: GuestIpConfig): string {
  if (/(^|\s)ip=/.test(cmdline)) return cmdline;
  return `${cmdline} ${ipParameter(config)}`.trim();
}
