// The guest's shell prompt (PS1 in images/rootfs/etc/profile: 'ringside:\w# '). The page,
// the CLI and the tests all take it as the sign that the shell is ready.
// busybox ash follows each prompt with a cursor-position query (ESC [ 6 n) to learn the
// terminal width; xterm.js answers it, the CLI does not need to.
export const PROMPT_PATTERN = /ringside:[^\r\n#]*# (\x1b\[6n)?$/;
