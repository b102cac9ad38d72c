"""The lab of real hosts: a debootstrapped Debian image and podman systemd containers per site."""
