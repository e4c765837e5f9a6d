-- Run by the SQL console once its tables are loaded: no extension is installed or loaded (it would come from outside the site), no file or URL is read, and no setting can be changed back.
SET autoinstall_known_extensions = false;
SET autoload_known_extensions = false;
SET enable_external_access = false;
SET lock_configuration = true;
