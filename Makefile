# Beffroi — every target bootstraps what it needs and is safe to rerun.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.beffroi-installed
BEFFROI_CACHE ?= $(HOME)/.cache/beffroi
export BEFFROI_CACHE
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
# Every make target is lab or test work: the lab configuration (test vault password, no host-key
# check for throwaway containers). A real department runs Ansible with ./ansible.cfg.
export ANSIBLE_CONFIG := $(CURDIR)/lab/ansible.cfg
export BEFFROI_VAULT_PASSWORD_FILE := $(CURDIR)/lab/test-vault-password
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help bootstrap apt venv lint test test-fast demo drill drill-loopback clean lab-image

help:
	@echo "make demo   validate Moselle, render Évrange, write its dossiers, deploy it on the lab, audit drift"
	@echo "make test   lint + the whole test suite (installs what it needs)"
	@echo "make drill  every fault drill: loopback ones, then the lab ones on a lab deployed for the purpose (make drill-loopback: no lab)"

# --- bootstrap --------------------------------------------------------------------------------
APT_STAMP := /var/lib/beffroi-apt.stamp
apt: $(APT_STAMP)
$(APT_STAMP): scripts/apt-packages.txt
	scripts/install-apt.sh scripts/apt-packages.txt
	@touch $@

venv: $(STAMP)
$(STAMP): pyproject.toml requirements/lock.txt | $(APT_STAMP)
	test -x $(PY) || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements/lock.txt -e '.[control,dev]'
	scripts/install-simulators.sh $(VENV)
	@touch $@

bootstrap: apt venv

# --- jobs ---------------------------------------------------------------------------------------
lint: bootstrap
	$(VENV)/bin/ruff check beffroi recorder network tests benchmarks plugins
	$(VENV)/bin/mypy
	$(VENV)/bin/yamllint -s .
	$(VENV)/bin/ansible-lint --profile production -q roles playbooks

test: bootstrap lint lab-image
	scripts/run-tests.sh

demo: bootstrap lab-image
	$(VENV)/bin/beffroi demo --lab

# Every fault drill: first those on real parts on 127.0.0.1 (camera stream, recorder restart,
# disk full, UPS low battery, clock step), then the lab drills (nvr-restart, wan-cut,
# crisis-cell-stopped) on a lab of its own (`beffroi-drill`: up, Évrange deployed, drills, down).
# It refuses while another lab holds the model's subnets (e.g. `make demo`'s: beffroi lab down).
# `make drill-loopback`: only the drills that need no lab (~2 min).
DRILL_LAB := beffroi-drill
drill: bootstrap lab-image
	$(VENV)/bin/beffroi lab up --name $(DRILL_LAB) --site evrange
	$(VENV)/bin/beffroi deploy --lab $(DRILL_LAB) --site evrange \
	  || { $(VENV)/bin/beffroi lab down --name $(DRILL_LAB); exit 1; }
	$(VENV)/bin/beffroi drill --lab --name $(DRILL_LAB); rc=$$?; \
	  $(VENV)/bin/beffroi lab down --name $(DRILL_LAB); exit $$rc

drill-loopback: bootstrap
	$(VENV)/bin/beffroi drill

clean:
	rm -rf build out .pytest_cache .mypy_cache .ruff_cache

# --- lab ---------------------------------------------------------------------------------------
# Debian bookworm image for the lab (debootstrap once, tarball cached in $(BEFFROI_CACHE)).
lab-image: bootstrap
	$(VENV)/bin/beffroi lab image
