# Conventional KD as UNIXKD's command/command.sh runs it (xuguodong03/UNIXKD): the same script
# with --strategy 0 (random) --k 64 --b 64 --w 1000: the mask is at most 4.0e-4 (no mixing in
# practice) and nothing is dropped, so this is KD-only training (T = 4, no CE term). The
# reference still runs the selection pass (unused, but it updates the student's BN statistics);
# kept here for fidelity, so the logged computation is 100% + F_s/(F_t + 2F_s), while the README
# counts this baseline as 100%.
_base_ = ['./unixkd.py']
model = dict(batch_transform=dict(k=64, b=64, w=1000.0, strategy='random'))
